package state

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
)

// ErrNoPEMBlock is returned (wrapped) when a certificate string holds no
// PEM block.
var ErrNoPEMBlock = errors.New("no PEM block found")

// firstPEMBlock returns the DER bytes of the first PEM block of s, whatever
// its label, as Sōzu's parser does (command/src/certificate.rs:55-60).
func firstPEMBlock(s string) ([]byte, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, fmt.Errorf("could not parse PEM certificate: %w", ErrNoPEMBlock)
	}
	return block.Bytes, nil
}

// CertificateFingerprint returns the identity Sōzu gives a certificate: the
// SHA-256 of the DER bytes of the first PEM block, in lowercase hex, 64
// characters (command/src/certificate.rs:266-297, 419-437); the same as
// `openssl x509 -outform DER | sha256sum`. The chain and the key play no part,
// and the DER is not parsed as X.509.
func CertificateFingerprint(certificatePEM string) (string, error) {
	der, err := firstPEMBlock(certificatePEM)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

// CertificateNames returns the names Sōzu 2.x derives from a certificate
// whose names are not given (command/src/certificate.rs:85-132): every SAN
// dNSName in order; only when there is none, the subject common names.
// Consecutive duplicates are dropped. IP and other SAN entries are ignored.
func CertificateNames(certificatePEM string) ([]string, error) {
	der, err := firstPEMBlock(certificatePEM)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("could not parse X509 certificate: %w", err)
	}
	var names []string
	if len(cert.DNSNames) > 0 {
		names = append(names, cert.DNSNames...)
	} else {
		for _, atv := range cert.Subject.Names {
			if atv.Type.Equal(oidCommonName) {
				if v, ok := atv.Value.(string); ok {
					names = append(names, v)
				}
			}
		}
	}
	var out []string
	for _, n := range names {
		if len(out) > 0 && out[len(out)-1] == n {
			continue
		}
		out = append(out, n)
	}
	return out, nil
}

var oidCommonName = []int{2, 5, 4, 3}
