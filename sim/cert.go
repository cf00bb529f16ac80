package sim

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// loadedCert is a certificate as a worker's TLS resolver holds it. The
// private key is checked when loaded and never kept.
type loadedCert struct {
	fingerprint string
	names       []string
	notAfter    time.Time
	seq         int
}

// leaf parses the first PEM block of a certificate field, the only one
// Sōzu's workers use for the leaf.
func leaf(certPEM string) (*x509.Certificate, error) {
	block, _ := pem.Decode([]byte(certPEM))
	if block == nil {
		return nil, errors.New("failed to parse pem: no PEM block in certificate")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("failed to parse certificate: %w", err)
	}
	return c, nil
}

// fingerprint is Sōzu's certificate identity: the SHA-256 of the leaf's DER
// bytes, in lower-case hex.
func fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// derivedNames are the names a certificate serves when the request gives
// none: its DNS SANs, or its common name when it has no DNS SAN.
func derivedNames(c *x509.Certificate) []string {
	if len(c.DNSNames) > 0 {
		return append([]string(nil), c.DNSNames...)
	}
	if c.Subject.CommonName != "" {
		return []string{c.Subject.CommonName}
	}
	return nil
}

// checkKey accepts the private key encodings Sōzu's workers read: PKCS#1,
// PKCS#8 and SEC1, RSA or ECDSA (PKCS#8 also covers Ed25519 here).
func checkKey(keyPEM string) error {
	block, _ := pem.Decode([]byte(keyPEM))
	if block == nil {
		return errors.New("empty key")
	}
	if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return nil
	}
	if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		return nil
	}
	if _, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return nil
	}
	return errors.New("invalid private key")
}

// loadCertificate checks a certificate, its chain and its key the way a
// worker does before serving them.
func loadCertificate(ck *sozupb.CertificateAndKey) (*loadedCert, error) {
	c, err := leaf(ck.GetCertificate())
	if err != nil {
		return nil, err
	}
	for i, chain := range ck.GetCertificateChain() {
		rest := []byte(chain)
		for {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			if _, err := x509.ParseCertificate(block.Bytes); err != nil {
				return nil, fmt.Errorf("failed to parse certificate chain entry %d: %w", i, err)
			}
		}
	}
	if err := checkKey(ck.GetKey()); err != nil {
		return nil, err
	}
	names := ck.GetNames()
	if len(names) == 0 {
		names = derivedNames(c)
	}
	return &loadedCert{
		fingerprint: fingerprint(c),
		names:       append([]string(nil), names...),
		notAfter:    c.NotAfter,
	}, nil
}
