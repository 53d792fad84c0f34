package main

import (
	"fmt"
	"net"
	"strconv"

	"mvapi/transport"
)

// startLineTransports opens the raw TCP and UDP API listeners when their
// addresses or ports (tcpport, udpport) are set.
func (m *Main) startLineTransports() error {
	cfg := m.Engine.Config()
	if addr := listenAddr(m.TCPListen, m.listenHost(), cfg.Int("tcpport")); addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("raw tcp api: listen %s: %w", addr, err)
		}
		m.tcp = &transport.TCP{Engine: m.Engine, Log: m.Log}
		m.tcpAddr = ln.Addr().String()
		go m.serveLogged("raw tcp api", func() error { return m.tcp.Serve(ln) })
		m.Log.Info("raw tcp api listening", "addr", m.tcpAddr)
	}
	if addr := listenAddr(m.UDPListen, m.listenHost(), cfg.Int("udpport")); addr != "" {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return fmt.Errorf("udp api: listen %s: %w", addr, err)
		}
		m.udp = &transport.UDP{Engine: m.Engine, Log: m.Log}
		m.udpAddr = pc.LocalAddr().String()
		go m.serveLogged("udp api", func() error { return m.udp.Serve(pc) })
		m.Log.Info("udp api listening", "addr", m.udpAddr)
	}
	return nil
}

// listenAddr is explicit, else host:port (host of --listen, "" for every
// interface), else "" (off) when port is 0.
func listenAddr(explicit, host string, port int) string {
	if explicit != "" {
		return explicit
	}
	if port == 0 {
		return ""
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

func (m *Main) serveLogged(name string, serve func() error) {
	if err := serve(); err != nil {
		m.Log.Error(name+" stopped", "err", err)
	}
}

// closeLineTransports closes the WebSocket connections and the raw TCP and
// UDP listeners, letting the requests they are running finish.
func (m *Main) closeLineTransports() {
	if m.ws != nil {
		m.ws.Close()
	}
	if m.tcp != nil {
		m.tcp.Close()
	}
	if m.udp != nil {
		m.udp.Close()
	}
}

// TCPAddr is the raw TCP API's address ("" when off).
func (m *Main) TCPAddr() string { return m.tcpAddr }

// UDPAddr is the UDP API's address ("" when off).
func (m *Main) UDPAddr() string { return m.udpAddr }
