package state

import (
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
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
	var dnsNames, commonNames []string
	if cert, err := x509.ParseCertificate(der); err == nil {
		dnsNames = cert.DNSNames
		for _, atv := range cert.Subject.Names {
			if atv.Type.Equal(oidCommonName) {
				if v, ok := atv.Value.(string); ok {
					commonNames = append(commonNames, v)
				}
			}
		}
	} else {
		// Go refuses some certificates that Sōzu's parser reads, such as
		// ones with a negative serial number; read the names directly.
		var lerr error
		dnsNames, commonNames, lerr = lenientNames(der)
		if lerr != nil {
			return nil, fmt.Errorf("could not parse X509 certificate: %w", err)
		}
	}
	names := commonNames
	if len(dnsNames) > 0 {
		names = dnsNames
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

var (
	oidCommonName     = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidSubjectAltName = asn1.ObjectIdentifier{2, 5, 29, 17}
)

// lenientCertificate is the outline of an X.509 certificate, enough to
// reach the subject and the extensions without checking the rest.
type lenientCertificate struct {
	TBS struct {
		Version    int `asn1:"optional,explicit,default:0,tag:0"`
		Serial     asn1.RawValue
		SigAlg     asn1.RawValue
		Issuer     asn1.RawValue
		Validity   asn1.RawValue
		Subject    asn1.RawValue
		PublicKey  asn1.RawValue
		IssuerUID  asn1.RawValue    `asn1:"optional,tag:1"`
		SubjectUID asn1.RawValue    `asn1:"optional,tag:2"`
		Extensions []pkix.Extension `asn1:"optional,explicit,tag:3"`
	}
	SigAlg    asn1.RawValue
	Signature asn1.RawValue
}

// lenientNames reads the SAN dNSNames and subject common names of a DER
// certificate that crypto/x509 refuses.
func lenientNames(der []byte) (dns, cns []string, err error) {
	var c lenientCertificate
	if _, err := asn1.Unmarshal(der, &c); err != nil {
		return nil, nil, err
	}
	var subject pkix.RDNSequence
	if _, err := asn1.Unmarshal(c.TBS.Subject.FullBytes, &subject); err != nil {
		return nil, nil, err
	}
	for _, rdn := range subject {
		for _, atv := range rdn {
			if v, ok := atv.Value.(string); ok && atv.Type.Equal(oidCommonName) {
				cns = append(cns, v)
			}
		}
	}
	for _, ext := range c.TBS.Extensions {
		if !ext.Id.Equal(oidSubjectAltName) {
			continue
		}
		var seq asn1.RawValue
		if _, err := asn1.Unmarshal(ext.Value, &seq); err != nil {
			return nil, nil, err
		}
		rest := seq.Bytes
		for len(rest) > 0 {
			var gn asn1.RawValue
			if rest, err = asn1.Unmarshal(rest, &gn); err != nil {
				return nil, nil, err
			}
			if gn.Class == asn1.ClassContextSpecific && gn.Tag == 2 {
				dns = append(dns, string(gn.Bytes))
			}
		}
	}
	return dns, cns, nil
}
