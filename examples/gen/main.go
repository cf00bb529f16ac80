// Command gen writes the self-signed test certificates that the examples and
// the tests use: an ECDSA P-256 key and a certificate for the given DNS names,
// as PEM files NAME.pem and NAME.key in the output directory.
//
// The keys it writes are test keys, committed on purpose: never use them for
// anything but tests and examples.
//
//	go run ./examples/gen -out examples/basic/certs -name api -dns api.example.com,www.example.com
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sozuctl-plan/sozuctl-plan/internal/atomicfile"
)

//go:generate go run . -out ../basic/certs -name api -dns api.example.com,www.example.com

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	out := fs.String("out", ".", "output `DIR`")
	name := fs.String("name", "cert", "base `NAME` of the .pem and .key files")
	dns := fs.String("dns", "example.com", "comma-separated DNS `NAMES` (the first is also the CN)")
	years := fs.Int("years", 10, "validity in `YEARS` from now")
	expired := fs.Bool("expired", false, "write a certificate that expired a year ago")
	if err := fs.Parse(args); err != nil {
		return err
	}
	names := strings.Split(*dns, ",")
	notBefore := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	notAfter := notBefore.AddDate(*years, 0, 0)
	if *expired {
		notBefore = notBefore.AddDate(-2, 0, 0)
		notAfter = notBefore.AddDate(1, 0, 0)
	}
	certPEM, keyPEM, err := selfSigned(names, notBefore, notAfter)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(filepath.Join(*out, *name+".pem"), certPEM, 0o644); err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(*out, *name+".key"), keyPEM, 0o600)
}

// selfSigned returns a PEM certificate and PKCS#8 PEM key for names.
func selfSigned(names []string, notBefore, notAfter time.Time) (certPEM, keyPEM []byte, err error) {
	if len(names) == 0 || names[0] == "" {
		return nil, nil, errors.New("no DNS name")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generating key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("generating serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: names[0], Organization: []string{"sozuctl-plan test"}},
		DNSNames:              names,
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("creating certificate: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), nil
}
