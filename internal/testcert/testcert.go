// Package testcert makes throw-away self-signed certificates for the tests
// of the packages that send certificates to Sōzu or to its simulator (live,
// sim). The keys are generated afresh on every call and never leave the
// test process.
package testcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Cert is a self-signed certificate with its private key.
type Cert struct {
	CertPEM string            // the certificate, one PEM CERTIFICATE block
	KeyPEM  string            // its key, one PEM PRIVATE KEY block (PKCS #8)
	Parsed  *x509.Certificate // the certificate, parsed
}

// ErrNoNames is returned by SelfSigned when it is given no name.
var ErrNoNames = errors.New("testcert: a certificate needs at least one name")

// SelfSigned makes a certificate for the DNS names (the first is also the
// subject's common name) with a new ECDSA P-256 key, valid from an hour ago
// for a day, its serial number taken from the clock so that two calls give
// two certificates.
func SelfSigned(names ...string) (Cert, error) {
	if len(names) == 0 {
		return Cert{}, ErrNoNames
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Cert{}, fmt.Errorf("testcert: generating the key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: names[0]},
		DNSNames:     names,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return Cert{}, fmt.Errorf("testcert: signing: %w", err)
	}
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		return Cert{}, fmt.Errorf("testcert: parsing the new certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Cert{}, fmt.Errorf("testcert: encoding the key: %w", err)
	}
	return Cert{
		CertPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		KeyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})),
		Parsed:  parsed,
	}, nil
}
