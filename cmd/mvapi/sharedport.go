package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"strconv"

	"mvapi/transport"
)

// startShared opens the shared service port (mainaport, or --listen): one
// TCP listener that serves HTTP, WebSocket, TLS (HTTPS, wss, raw lines
// over TLS, when a certificate is configured) and raw API lines, and UDP
// on the same port number (mainaportudp). usemainaport=0 turns it off;
// then only the separate ports serve.
func (m *Main) startShared(tlsCfg *tls.Config) error {
	cfg := m.Engine.Config()
	if cfg.Int("usemainaport") == 0 {
		return nil
	}
	addr := m.Listen
	if addr == "" {
		addr = fmt.Sprintf(":%d", cfg.Int("mainaport"))
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	m.ln = ln
	m.shared = &transport.Shared{Engine: m.Engine, Log: m.Log, TLS: tlsCfg}
	go func() { m.done <- m.server.Serve(m.shared.HTTPListener()) }()
	go m.serveLogged("shared service port", func() error {
		return m.shared.Serve(transport.LimitListener(ln, m.Engine.Config, true))
	})
	return m.startSharedUDP()
}

// startSharedUDP serves UDP on the shared port's number (mainaportudp 0),
// on another port (mainaportudp N) or not at all (-1).
func (m *Main) startSharedUDP() error {
	udpPort := m.Engine.Config().Int("mainaportudp")
	if udpPort < 0 {
		return nil
	}
	host, port, _ := net.SplitHostPort(m.ln.Addr().String())
	if udpPort > 0 {
		port = strconv.Itoa(udpPort)
	}
	addr := net.JoinHostPort(host, port)
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		if udpPort == 0 {
			// The default: the TCP port was free, its UDP twin is not.
			m.Log.Warn("udp on the shared service port: not served", "addr", addr, "err", err)
			return nil
		}
		return fmt.Errorf("udp api (mainaportudp): listen %s: %w", addr, err)
	}
	m.sharedUDP = &transport.UDP{Engine: m.Engine, Log: m.Log}
	m.sharedUDPAddr = pc.LocalAddr().String()
	go m.serveLogged("udp api on the shared port", func() error { return m.sharedUDP.Serve(pc) })
	m.Log.Info("udp api listening on the shared port number", "addr", m.sharedUDPAddr)
	return nil
}

// closeShared ends the raw line sessions of the shared port (its HTTP
// connections belong to the HTTP server) and its UDP.
func (m *Main) closeShared() {
	if m.shared != nil {
		m.shared.Close()
	}
	if m.sharedUDP != nil {
		m.sharedUDP.Close()
	}
}

// SharedUDPAddr is the UDP address beside the shared port ("" when off).
func (m *Main) SharedUDPAddr() string { return m.sharedUDPAddr }

// listenHost is the host of --listen: the extra listeners bind it unless
// their own address is given ("" = every interface).
func (m *Main) listenHost() string {
	host, _, err := net.SplitHostPort(m.Listen)
	if err != nil {
		return ""
	}
	return host
}

// loadTLS reads the certificate of tlscertfile and tlskeyfile; nil (no
// TLS) when neither is set.
func (m *Main) loadTLS() (*tls.Config, error) {
	cfg := m.Engine.Config()
	certFile, keyFile := cfg.Get("tlscertfile"), cfg.Get("tlskeyfile")
	if certFile == "" && keyFile == "" {
		return nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, fmt.Errorf("TLS: set both tlscertfile and tlskeyfile (PEM files of the certificate chain and its key)")
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS: load certificate: %w", err)
	}
	// HTTP/1.1 only: the connections are sniffed inside TLS and served by
	// an HTTP/1.1 server.
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}, nil
}
