package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"time"

	"mvapi/transport"
)

// startTLS serves the same API (and WebSocket, as wss) over HTTPS on
// TLSListen or sslportmain, with the certificate of tlscertfile and
// tlskeyfile. It does nothing when neither address is set.
func (m *Main) startTLS(h http.Handler) error {
	cfg := m.Engine.Config()
	addr := m.TLSListen
	if addr == "" {
		port := cfg.Int("sslportmain")
		if port == 0 {
			return nil
		}
		addr = fmt.Sprintf(":%d", port)
	}
	certFile, keyFile := cfg.Get("tlscertfile"), cfg.Get("tlskeyfile")
	if certFile == "" || keyFile == "" {
		return fmt.Errorf("HTTPS on %s: set tlscertfile and tlskeyfile (PEM files of the certificate chain and its key)", addr)
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return fmt.Errorf("HTTPS on %s: load certificate: %w", addr, err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("HTTPS: listen %s: %w", addr, err)
	}
	srv := transport.NewServer(h)
	srv.ErrorLog = m.errorLog()
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	m.tlsServer, m.tlsAddr = srv, ln.Addr().String()
	go srv.ServeTLS(transport.LimitListener(ln, m.Engine.Config, false), "", "")
	m.Log.Info("mvapi serving HTTPS", "addr", m.tlsAddr)
	return nil
}

// TLSAddr is the HTTPS address ("" when off).
func (m *Main) TLSAddr() string { return m.tlsAddr }

func (m *Main) closeTLS() error {
	if m.tlsServer == nil {
		return nil
	}
	return transport.Shutdown(m.tlsServer, 20*time.Second)
}
