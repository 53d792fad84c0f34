// Package actionstest runs real servers on loopback for tests of the
// outbox: an SMTP server (github.com/emersion/go-smtp) that records every
// message by Message-ID, and an HTTP SMS gateway that records every request
// by idempotency key. Both can be stopped and started again on the same
// port to play an unreachable server.
package actionstest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mail is one message the SMTP server accepted.
type Mail struct {
	From      string
	To        []string
	MessageID string
	Subject   string
	Header    mail.Header
	Body      string
}

// SMTP is a recording SMTP server on 127.0.0.1.
type SMTP struct {
	// Addr is host:port; Host and Port are its parts.
	Addr, Host, Port string
	// User and Password, when set, make AUTH PLAIN required.
	User, Password string
	// RejectRcpt, when set, may refuse a recipient (return an
	// *smtp.SMTPError with a 5xx code for a permanent failure).
	RejectRcpt func(to string) error
	// TLS, when set, offers STARTTLS with this config.
	TLS *tls.Config

	mu    sync.Mutex
	srv   *smtp.Server
	mails []Mail
	count map[string]int
	auths int
}

// NewSMTP reserves a loopback port; call Start to accept mail.
func NewSMTP(tb testing.TB) *SMTP {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	host, port, _ := net.SplitHostPort(addr)
	s := &SMTP{Addr: addr, Host: host, Port: port, count: map[string]int{}}
	tb.Cleanup(s.Stop)
	return s
}

// StartSMTP is NewSMTP and Start.
func StartSMTP(tb testing.TB) *SMTP {
	tb.Helper()
	s := NewSMTP(tb)
	s.Start(tb)
	return s
}

// Start accepts connections on Addr (again, after Stop).
func (s *SMTP) Start(tb testing.TB) {
	tb.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the port was just released; retry briefly if busy
		if ln, err = net.Listen("tcp", s.Addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		tb.Fatalf("smtp listen %s: %v", s.Addr, err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.TLSConfig = s.TLS
	srv.ErrorLog = nopLogger{}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go srv.Serve(ln)
}

// Stop closes the server and its connections: clients get connection
// refused until Start.
func (s *SMTP) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// Mails returns the accepted messages in order.
func (s *SMTP) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// Count is how many times a Message-ID was accepted.
func (s *SMTP) Count(messageID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count[messageID]
}

// Duplicates is the number of accepted messages whose Message-ID had been
// accepted before.
func (s *SMTP) Duplicates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := 0
	for _, n := range s.count {
		d += n - 1
	}
	return d
}

// Auths is how many AUTH exchanges succeeded.
func (s *SMTP) Auths() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.auths
}

// WaitMails waits until at least n messages were accepted.
func (s *SMTP) WaitMails(tb testing.TB, n int, timeout time.Duration) []Mail {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		m := s.Mails()
		if len(m) >= n {
			return m
		}
		if time.Now().After(deadline) {
			tb.Fatalf("smtp: %d message(s) after %v, want %d", len(m), timeout, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type session struct {
	s      *SMTP
	authed bool
	from   string
	to     []string
}

func (x *session) AuthMechanisms() []string {
	if x.s.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != x.s.User || pass != x.s.Password {
			return errors.New("invalid credentials")
		}
		x.authed = true
		x.s.mu.Lock()
		x.s.auths++
		x.s.mu.Unlock()
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.User != "" && !x.authed {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if x.s.RejectRcpt != nil {
		if err := x.s.RejectRcpt(to); err != nil {
			return err
		}
	}
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "unparsable message: " + err.Error()}
	}
	var br io.Reader = msg.Body
	switch strings.ToLower(msg.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		br = quotedprintable.NewReader(br)
	case "base64":
		br = base64.NewDecoder(base64.StdEncoding, br)
	}
	body, _ := io.ReadAll(br)
	m := Mail{From: x.from, To: x.to, MessageID: strings.Trim(msg.Header.Get("Message-Id"), "<>"),
		Header: msg.Header, Body: string(body)}
	dec := new(mime.WordDecoder)
	if subj, err := dec.DecodeHeader(msg.Header.Get("Subject")); err == nil {
		m.Subject = subj
	}
	x.s.mu.Lock()
	x.s.mails = append(x.s.mails, m)
	x.s.count[m.MessageID]++
	x.s.mu.Unlock()
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}
func (nopLogger) Println(...any)        {}

// SelfSigned returns a server TLS config with a fresh certificate for
// 127.0.0.1 and localhost, and a client config that trusts only it.
func SelfSigned(tb testing.TB) (server, client *tls.Config) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mvapi test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:    []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	client = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return server, client
}
