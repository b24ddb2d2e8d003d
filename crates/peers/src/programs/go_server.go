// The Go crypto/tls server peer: net/http over a tls.Config with RequireAndVerifyClientCert,
// CRL checking of the client's leaf (every CA of the chain with crlAll) in
// VerifyPeerCertificate (x509.ParseRevocationList), session tickets, versions, TLS 1.2 suites
// and curve preferences, and an OCSP staple of its own certificate (tls.Certificate.OCSPStaple,
// the DER response in the file the harness fetched before it started). Built by mtls-harness with the Debian Go toolchain on first use and
// run as `go-server '<json options>'`; prints `listening on ADDR` once it accepts. Its refusals
// go to stderr (the peer's log).
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"
)

type options struct {
	Cert       string   `json:"cert"`
	Key        string   `json:"key"`
	CA         string   `json:"ca"`
	CRL        string   `json:"crl"`
	SoftFail   bool     `json:"softFail"`
	CRLAll     bool     `json:"crlAll"`
	ClientAuth string   `json:"clientAuth"`
	MinVersion string   `json:"minVersion"`
	MaxVersion string   `json:"maxVersion"`
	Suites     []string `json:"suites"`
	Curves     []string `json:"curves"`
	Tickets    bool     `json:"tickets"`
	Allowed    []string `json:"allowed"`
	Staple     string   `json:"staple"`
}

func version(name string) uint16 {
	if name == "1.2" {
		return tls.VersionTLS12
	}
	return tls.VersionTLS13
}

var curveIDs = map[string]tls.CurveID{"X25519": tls.X25519, "P256": tls.CurveP256, "P384": tls.CurveP384}

func suiteIDs(names []string) []uint16 {
	var ids []uint16
	for _, s := range tls.CipherSuites() {
		for _, n := range names {
			if s.Name == n {
				ids = append(ids, s.ID)
			}
		}
	}
	return ids
}

// crls reads every CRL in a PEM file.
func crls(path string) ([]*x509.RevocationList, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []*x509.RevocationList
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return out, nil
		}
		if block.Type != "X509 CRL" {
			continue
		}
		// A CRL that does not parse is left out: the status it would give is undetermined.
		if crl, err := x509.ParseRevocationList(block.Bytes); err == nil {
			out = append(out, crl)
		}
	}
}

var errUndetermined = errors.New("revocation status undetermined")

// chainStatus checks the leaf of a verified chain against the CRLs, and with all every CA below
// the trust anchor too: the first revoked or undetermined certificate's error.
func chainStatus(chain []*x509.Certificate, lists []*x509.RevocationList, now time.Time, all bool) error {
	if len(chain) < 2 {
		return errUndetermined
	}
	for i := 0; i+1 < len(chain); i++ {
		if err := leafStatus(chain[i], chain[i+1], lists, now); err != nil {
			return err
		}
		if !all {
			break
		}
	}
	return nil
}

// leafStatus checks a certificate against every CRL of its issuer (all shards of a sharded CRL,
// a base and its delta): revoked when one lists it, undetermined when no CRL of its issuer is
// current and correctly signed.
func leafStatus(leaf, issuer *x509.Certificate, lists []*x509.RevocationList, now time.Time) error {
	status := errUndetermined
	checked := false
	for _, crl := range lists {
		if !bytes.Equal(crl.RawIssuer, leaf.RawIssuer) {
			continue
		}
		if err := crl.CheckSignatureFrom(issuer); err != nil {
			status = fmt.Errorf("%w: CRL signature: %v", errUndetermined, err)
			continue
		}
		if now.Before(crl.ThisUpdate) || (!crl.NextUpdate.IsZero() && now.After(crl.NextUpdate)) {
			status = fmt.Errorf("%w: CRL not current (thisUpdate %v, nextUpdate %v)", errUndetermined, crl.ThisUpdate, crl.NextUpdate)
			continue
		}
		for _, r := range crl.RevokedCertificates {
			if r.SerialNumber.Cmp(leaf.SerialNumber) == 0 {
				return fmt.Errorf("certificate revoked (serial %s)", leaf.SerialNumber)
			}
		}
		checked = true
	}
	if checked {
		return nil
	}
	return status
}

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	var o options
	if len(os.Args) != 2 || json.Unmarshal([]byte(os.Args[1]), &o) != nil {
		log.Fatal("usage: go-server '<json options>'")
	}
	cert, err := tls.LoadX509KeyPair(o.Cert, o.Key)
	if err != nil {
		log.Fatal(err)
	}
	if o.Staple != "" {
		// Stapled as it is, to every client that sends status_request.
		if cert.OCSPStaple, err = os.ReadFile(o.Staple); err != nil {
			log.Fatal(err)
		}
	}
	cfg := &tls.Config{
		Certificates:           []tls.Certificate{cert},
		MinVersion:             version(o.MinVersion),
		MaxVersion:             version(o.MaxVersion),
		CipherSuites:           suiteIDs(o.Suites),
		SessionTicketsDisabled: !o.Tickets,
	}
	for _, c := range o.Curves {
		cfg.CurvePreferences = append(cfg.CurvePreferences, curveIDs[c])
	}
	if o.ClientAuth != "off" {
		pool := x509.NewCertPool()
		data, err := os.ReadFile(o.CA)
		if err != nil || !pool.AppendCertsFromPEM(data) {
			log.Fatalf("reading CA file %s: %v", o.CA, err)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		if o.ClientAuth == "optional" {
			cfg.ClientAuth = tls.VerifyClientCertIfGiven
		}
	}
	if o.CRL != "" {
		lists, err := crls(o.CRL)
		if err != nil {
			log.Fatal(err)
		}
		cfg.VerifyPeerCertificate = func(_ [][]byte, chains [][]*x509.Certificate) error {
			if len(chains) == 0 {
				return nil
			}
			err := chainStatus(chains[0], lists, time.Now(), o.CRLAll)
			if errors.Is(err, errUndetermined) && o.SoftFail {
				log.Printf("soft-fail: %v", err)
				return nil
			}
			if err != nil {
				log.Printf("refused: %v", err)
			}
			return err
		}
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		if len(o.Allowed) > 0 {
			allowed := false
			if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
				cn := r.TLS.PeerCertificates[0].Subject.CommonName
				for _, a := range o.Allowed {
					allowed = allowed || a == cn
				}
			}
			if !allowed {
				http.Error(w, "forbidden", http.StatusForbidden)
				return
			}
		}
		fmt.Fprintln(w, "ok")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	srv := &http.Server{Handler: handler, TLSConfig: cfg, ErrorLog: log.Default()}
	log.Fatal(srv.Serve(tls.NewListener(ln, cfg)))
}
