package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"mvapi/transport"
)

// startTLS serves the same API (and WebSocket, as wss, and raw API lines
// over TLS) on TLSListen or sslportmain, with the certificate of
// tlscertfile and tlskeyfile (tlsCfg): every connection must be TLS, and
// what it carries inside is sniffed as on the shared port. It does nothing
// when neither address is set.
func (m *Main) startTLS(h http.Handler, tlsCfg *tls.Config) error {
	cfg := m.Engine.Config()
	addr := m.TLSListen
	if addr == "" {
		port := cfg.Int("sslportmain")
		if port == 0 {
			return nil
		}
		addr = net.JoinHostPort(m.listenHost(), strconv.Itoa(port))
	}
	if tlsCfg == nil {
		return fmt.Errorf("HTTPS on %s: set tlscertfile and tlskeyfile (PEM files of the certificate chain and its key)", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("HTTPS: listen %s: %w", addr, err)
	}
	srv := transport.NewServer(h)
	srv.ErrorLog = m.errorLog()
	m.tlsShared = &transport.Shared{Engine: m.Engine, Log: m.Log, TLS: tlsCfg, TLSOnly: true}
	m.tlsServer, m.tlsAddr = srv, ln.Addr().String()
	go srv.Serve(m.tlsShared.HTTPListener())
	go m.serveLogged("https", func() error {
		return m.tlsShared.Serve(transport.LimitListener(ln, m.Engine.Config, false))
	})
	m.Log.Info("mvapi serving HTTPS", "addr", m.tlsAddr)
	return nil
}

// TLSAddr is the HTTPS address ("" when off).
func (m *Main) TLSAddr() string { return m.tlsAddr }

func (m *Main) closeTLS() error {
	if m.tlsServer == nil {
		return nil
	}
	err := transport.Shutdown(m.tlsServer, 20*time.Second)
	m.tlsShared.Close()
	return err
}
