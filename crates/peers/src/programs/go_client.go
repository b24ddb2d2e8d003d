// The Go crypto/tls client peer: one process per case that makes one mTLS request per line on
// its stdin (`full` or `resume`) and answers each with one JSON line on stdout, so sessions
// live in a ClientSessionCache inside the process (Go 1.19 cannot carry a session to another
// process). Built by mtls-harness with the Debian Go toolchain on first use and run as
// `go-client '<json options>'`; prints `ready` once it reads requests.
//
// The client certificate is always sent (GetClientCertificate), whatever CA names or
// signature schemes the server's CertificateRequest lists, and its key is not checked against
// it (tls.X509KeyPair would refuse a mismatched key): the peer sends the case's credential as
// it is. Errors are printed as Go writes them (`remote error: tls: bad certificate`); the
// harness maps them to outcome classes.
package main

import (
	"bufio"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

type options struct {
	Addr       string   `json:"addr"`
	ServerName string   `json:"serverName"`
	CA         string   `json:"ca"`
	Cert       string   `json:"cert"`
	Key        string   `json:"key"`
	MinVersion string   `json:"minVersion"`
	MaxVersion string   `json:"maxVersion"`
	Suites     []string `json:"suites"`
	Curves     []string `json:"curves"`
	Resumption bool     `json:"resumption"`
	TimeoutMs  int      `json:"timeoutMs"`
}

type result struct {
	Status   int    `json:"status,omitempty"`
	Version  string `json:"version,omitempty"`
	Suite    string `json:"suite,omitempty"`
	Resumed  bool   `json:"resumed"`
	Offered  bool   `json:"offered"`
	Error    string `json:"error,omitempty"`
	Stage    string `json:"stage,omitempty"`
	TimedOut bool   `json:"timedOut,omitempty"`
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
	for _, n := range names {
		for _, s := range tls.CipherSuites() {
			if s.Name == n {
				ids = append(ids, s.ID)
			}
		}
	}
	return ids
}

// sessions is the process's session store: a full handshake stores its session but offers
// none, a resuming one offers the stored session.
type sessions struct {
	offer   bool
	offered bool
	byKey   map[string]*tls.ClientSessionState
}

func (s *sessions) Get(key string) (*tls.ClientSessionState, bool) {
	if !s.offer {
		return nil, false
	}
	cs, ok := s.byKey[key]
	s.offered = s.offered || ok
	return cs, ok
}

func (s *sessions) Put(key string, cs *tls.ClientSessionState) {
	if cs == nil {
		delete(s.byKey, key)
		return
	}
	s.byKey[key] = cs
}

// credential reads the chain and its key as they are, without checking that they match.
func credential(certFile, keyFile string) (*tls.Certificate, error) {
	out := &tls.Certificate{}
	if certFile == "" {
		return out, nil
	}
	data, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type == "CERTIFICATE" {
			out.Certificate = append(out.Certificate, block.Bytes)
		}
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, errors.New("no PEM block in the key file")
	}
	var key crypto.PrivateKey
	if key, err = x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
		if key, err = x509.ParseECPrivateKey(block.Bytes); err != nil {
			if key, err = x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
				return nil, fmt.Errorf("unsupported private key: %v", err)
			}
		}
	}
	out.PrivateKey = key
	return out, nil
}

// request is the HTTP/1.1 request for host (the server name the handshake verified).
func request(host string) string {
	return "GET / HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: mtls-harness-go\r\nConnection: close\r\n\r\n"
}

func attempt(cfg *tls.Config, store *sessions, o *options, resume bool) result {
	timeout := time.Duration(o.TimeoutMs) * time.Millisecond
	if store != nil {
		store.offer, store.offered = resume, false
	}
	var r result
	fail := func(stage string, err error) result {
		r.Stage, r.Error = stage, err.Error()
		var ne net.Error
		r.TimedOut = errors.As(err, &ne) && ne.Timeout()
		return r
	}
	raw, err := net.DialTimeout("tcp", o.Addr, timeout)
	if err != nil {
		return fail("connect", err)
	}
	defer raw.Close()
	_ = raw.SetDeadline(time.Now().Add(timeout))
	conn := tls.Client(raw, cfg)
	err = conn.Handshake()
	if store != nil {
		r.Offered = store.offered
	}
	if err != nil {
		return fail("handshake", err)
	}
	state := conn.ConnectionState()
	r.Version = map[uint16]string{tls.VersionTLS12: "TLSv1.2", tls.VersionTLS13: "TLSv1.3"}[state.Version]
	r.Suite = tls.CipherSuiteName(state.CipherSuite)
	r.Resumed = state.DidResume
	if _, err := io.WriteString(conn, request(o.ServerName)); err != nil {
		return fail("request", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return fail("reply", err)
	}
	// Reading to the end lets TLS 1.3 tickets sent after the reply reach the session store.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	r.Status = resp.StatusCode
	return r
}

func main() {
	var o options
	if len(os.Args) != 2 || json.Unmarshal([]byte(os.Args[1]), &o) != nil {
		fmt.Fprintln(os.Stderr, "usage: go-client '<json options>'")
		os.Exit(2)
	}
	pool := x509.NewCertPool()
	data, err := os.ReadFile(o.CA)
	if err != nil || !pool.AppendCertsFromPEM(data) {
		fmt.Fprintf(os.Stderr, "reading CA file %s: %v\n", o.CA, err)
		os.Exit(2)
	}
	cert, err := credential(o.Cert, o.Key)
	if err != nil {
		fmt.Fprintf(os.Stderr, "reading the client credential: %v\n", err)
		os.Exit(2)
	}
	cfg := &tls.Config{
		RootCAs:      pool,
		ServerName:   o.ServerName,
		MinVersion:   version(o.MinVersion),
		MaxVersion:   version(o.MaxVersion),
		CipherSuites: suiteIDs(o.Suites),
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return cert, nil
		},
	}
	for _, c := range o.Curves {
		cfg.CurvePreferences = append(cfg.CurvePreferences, curveIDs[c])
	}
	var store *sessions
	if o.Resumption {
		store = &sessions{byKey: map[string]*tls.ClientSessionState{}}
		cfg.ClientSessionCache = store
	}
	out := json.NewEncoder(os.Stdout)
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		r := attempt(cfg, store, &o, in.Text() == "resume")
		if err := out.Encode(r); err != nil {
			os.Exit(1)
		}
	}
}
