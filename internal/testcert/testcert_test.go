package testcert

import (
	"crypto/tls"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestSelfSigned(t *testing.T) {
	tests := []struct {
		names []string
	}{
		{[]string{"a.example"}},
		{[]string{"a.example", "b.example", "*.c.example"}},
	}
	for _, tt := range tests {
		c, err := SelfSigned(tt.names...)
		if err != nil {
			t.Fatalf("SelfSigned(%v): %v", tt.names, err)
		}
		if _, err := tls.X509KeyPair([]byte(c.CertPEM), []byte(c.KeyPEM)); err != nil {
			t.Errorf("certificate and key do not pair: %v", err)
		}
		if c.Parsed.Subject.CommonName != tt.names[0] || !slices.Equal(c.Parsed.DNSNames, tt.names) {
			t.Errorf("names = %q %v, want %v", c.Parsed.Subject.CommonName, c.Parsed.DNSNames, tt.names)
		}
		if now := time.Now(); now.Before(c.Parsed.NotBefore) || now.After(c.Parsed.NotAfter) {
			t.Errorf("not valid now: %v – %v", c.Parsed.NotBefore, c.Parsed.NotAfter)
		}
	}
}

func TestSelfSignedDistinct(t *testing.T) {
	a, err := SelfSigned("x.example")
	if err != nil {
		t.Fatal(err)
	}
	b, err := SelfSigned("x.example")
	if err != nil {
		t.Fatal(err)
	}
	if a.CertPEM == b.CertPEM || a.KeyPEM == b.KeyPEM {
		t.Error("two calls gave the same certificate or key")
	}
}

func TestSelfSignedNoNames(t *testing.T) {
	if _, err := SelfSigned(); !errors.Is(err, ErrNoNames) {
		t.Errorf("SelfSigned() error = %v, want ErrNoNames", err)
	}
}
