package state

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCertificateNames(t *testing.T) {
	tests := []struct {
		name string
		cn   string
		dns  []string
		ips  []net.IP
		want []string
	}{
		{"SAN only", "", []string{"a.example", "b.example"}, nil, []string{"a.example", "b.example"}},
		{"CN only", "cn.example", nil, nil, []string{"cn.example"}},
		{"CN and SAN: SAN wins", "cn.example", []string{"san.example"}, nil, []string{"san.example"}},
		{"IP SAN ignored, CN used", "cn.example", nil, []net.IP{net.ParseIP("::1"), net.ParseIP("10.0.0.1")}, []string{"cn.example"}},
		{"IP SAN ignored beside DNS", "cn.example", []string{"d.example"}, []net.IP{net.ParseIP("::1")}, []string{"d.example"}},
		{"consecutive duplicates dropped", "", []string{"a.example", "a.example", "b.example", "a.example"}, nil, []string{"a.example", "b.example", "a.example"}},
		{"no names at all", "", nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pemText := testCert(t, tt.cn, tt.dns, tt.ips)
			got, err := CertificateNames(pemText)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Error(diff)
			}
		})
	}
}

func TestCertificateFingerprintSample(t *testing.T) {
	pemText, err := os.ReadFile(filepath.Join("testdata", "sample-cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "sample-cert.sha256"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := CertificateFingerprint(string(pemText))
	if err != nil {
		t.Fatal(err)
	}
	if got != strings.TrimSpace(string(want)) {
		t.Errorf("fingerprint %s, want %s (openssl x509 -outform DER | sha256sum)", got, want)
	}
	// Chain blocks after the leaf, and text before it, do not matter.
	other := testCert(t, "chain.example", nil, nil)
	got2, err := CertificateFingerprint("comment line\n" + string(pemText) + other)
	if err != nil || got2 != got {
		t.Errorf("with chain: %s, %v", got2, err)
	}
	names, err := CertificateNames(string(pemText))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"www.sample.example", "sample.example"}, names); diff != "" {
		t.Error(diff)
	}
}

func TestCertificateErrors(t *testing.T) {
	if _, err := CertificateFingerprint("not pem"); !errors.Is(err, ErrNoPEMBlock) {
		t.Errorf("err = %v", err)
	}
	if _, err := CertificateNames(""); !errors.Is(err, ErrNoPEMBlock) {
		t.Errorf("err = %v", err)
	}
	if _, err := CertificateNames("-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n"); err == nil || errors.Is(err, ErrNoPEMBlock) {
		t.Errorf("want an X.509 error, got %v", err)
	}
	fp, err := CertificateFingerprint("-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n")
	if err != nil || len(fp) != 64 || strings.ToLower(fp) != fp {
		t.Errorf("fingerprint of a non-X.509 block: %q, %v", fp, err)
	}
}

func FuzzCertificate(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "sample-cert.pem")); err == nil {
		f.Add(string(b))
	}
	f.Add("-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		fp, err := CertificateFingerprint(s)
		if err == nil && len(fp) != 64 {
			t.Fatalf("fingerprint %q", fp)
		}
		names, err2 := CertificateNames(s)
		if err != nil && err2 == nil {
			t.Fatalf("names without a PEM block: %v", names)
		}
	})
}

// negativeSerialCert returns a PEM certificate whose serial number is
// negative, which crypto/x509 refuses and Sōzu reads.
func negativeSerialCert(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(0x7f1234),
		Subject:      pkix.Name{CommonName: "neg.example"},
		NotBefore:    time.Unix(0, 0),
		NotAfter:     time.Unix(4000000000, 0),
		DNSNames:     []string{"neg.example", "www.neg.example"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(der, []byte{0x02, 0x03, 0x7f, 0x12, 0x34})
	if i < 0 {
		t.Fatal("serial not found")
	}
	der[i+2] = 0xff
	if _, err := x509.ParseCertificate(der); err == nil {
		t.Skip("this Go accepts negative serial numbers")
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestCertificateNamesLenient(t *testing.T) {
	got, err := CertificateNames(negativeSerialCert(t))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"neg.example", "www.neg.example"}, got); diff != "" {
		t.Error(diff)
	}
	// The lenient reader agrees with crypto/x509 where both work.
	for _, c := range []struct {
		cn  string
		dns []string
	}{{"a", nil}, {"", []string{"x.example", "y.example"}}, {"cn", []string{"d.example"}}} {
		block, _ := pem.Decode([]byte(testCert(t, c.cn, c.dns, []net.IP{net.ParseIP("::1")})))
		dns, cns, err := lenientNames(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		cert, _ := x509.ParseCertificate(block.Bytes)
		if !slices.Equal(dns, cert.DNSNames) {
			t.Errorf("dns %v, x509 %v", dns, cert.DNSNames)
		}
		if want := []string{cert.Subject.CommonName}; cert.Subject.CommonName != "" && !slices.Equal(cns, want) {
			t.Errorf("cn %v, x509 %v", cns, want)
		}
	}
}

// TestCertificateNamesMoreShapes covers what the generated certificates of
// TestCertificateNames cannot: wildcards are kept as written, mixed case
// is kept (Sōzu does not lowercase), and a subject with several common
// names gives all of them, in order, when there is no SAN dNSName.
func TestCertificateNamesMoreShapes(t *testing.T) {
	oidCN := []int{2, 5, 4, 3}
	tests := []struct {
		name    string
		subject pkix.Name
		dns     []string
		want    []string
	}{
		{"wildcard SAN kept", pkix.Name{CommonName: "x.example"}, []string{"*.example.com", "example.com"}, []string{"*.example.com", "example.com"}},
		{"case kept", pkix.Name{}, []string{"API.Example.com"}, []string{"API.Example.com"}},
		{"several common names", pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidCN, Value: "one.example"}, {Type: oidCN, Value: "two.example"}}}, nil, []string{"one.example", "two.example"}},
		{"several common names ignored beside a SAN", pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidCN, Value: "one.example"}, {Type: oidCN, Value: "two.example"}}}, []string{"san.example"}, []string{"san.example"}},
		{"wildcard common name", pkix.Name{CommonName: "*.cn.example"}, nil, []string{"*.cn.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			tmpl := &x509.Certificate{
				SerialNumber: big.NewInt(7), Subject: tt.subject, DNSNames: tt.dns,
				NotBefore: time.Unix(0, 0), NotAfter: time.Unix(4000000000, 0),
			}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
			if err != nil {
				t.Fatal(err)
			}
			got, err := CertificateNames(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Error(diff)
			}
		})
	}
}
