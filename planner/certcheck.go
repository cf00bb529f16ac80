package planner

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// CertificateError is a certificate that the plan would send but that Sōzu
// would refuse or half-apply: its leaf does not parse (a ReplaceCertificate
// then drops the old certificate from the main process without adding the
// new one), its fingerprint is not the one it is filed under, or its
// private key is missing, does not parse or does not match it (the workers
// refuse it while the main process keeps it). Compute returns every such
// error, joined, and no plan.
type CertificateError struct {
	Address     string // the listener address
	Fingerprint string // the key the certificate is filed under
	Reason      string
}

// Error names the certificate (never its key) and the reason.
func (e *CertificateError) Error() string {
	return fmt.Sprintf("planner: certificate %s on %s: %s", e.Fingerprint, e.Address, e.Reason)
}

// checkCertificate checks a certificate that a request will carry.
func checkCertificate(addr, fp string, c *sozupb.CertificateAndKey) *CertificateError {
	fail := func(reason string) *CertificateError {
		return &CertificateError{Address: addr, Fingerprint: fp, Reason: reason}
	}
	got, err := state.CertificateFingerprint(c.GetCertificate())
	if err != nil {
		return fail("the certificate does not parse")
	}
	if got != fp {
		return fail("its fingerprint is " + got)
	}
	block, _ := pem.Decode([]byte(c.GetCertificate()))
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return fail("the certificate is not X.509")
	}
	kb, _ := pem.Decode([]byte(c.GetKey()))
	if kb == nil {
		return fail("the private key is missing or not PEM")
	}
	key, err := parsePrivateKey(kb.Bytes)
	if err != nil {
		return fail("the private key does not parse")
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(leaf.PublicKey) {
		return fail("the private key does not match the certificate")
	}
	return nil
}

// parsePrivateKey reads the key formats Sōzu's workers read: PKCS#8,
// PKCS#1 (RSA) and SEC 1 (EC).
func parsePrivateKey(der []byte) (crypto.Signer, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s, nil
		}
		return nil, errors.New("not a signing key")
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	return x509.ParseECPrivateKey(der)
}
