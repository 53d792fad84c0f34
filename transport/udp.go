package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"mvapi/engine"
)

// maxDatagram is the largest UDP request and answer, as the reference says.
const maxDatagram = 1490

// maxUDPInFlight bounds the datagrams being served at once.
const maxUDPInFlight = 64

// UDP is the UDP transport on udpport: one request per datagram (at most
// 1490 bytes; a longer one is answered ERROR), answered with one datagram
// to the sender, the text format (or the requested format=) cut at 1490
// bytes. A UDP source address can be forged, so requests get no IP trust
// (engine.Request.Untrusted) unless udptrust=1, preauth is refused (it
// would store a nonce for a forged address), and an unauthenticated answer
// is never larger than the request (see answer).
type UDP struct {
	Engine *engine.Engine
	Log    *slog.Logger

	mu     sync.Mutex
	pc     net.PacketConn
	closed bool
	wg     sync.WaitGroup
}

// Serve reads datagrams from pc until Close.
func (u *UDP) Serve(pc net.PacketConn) error {
	u.mu.Lock()
	closed := u.closed
	if !closed {
		u.pc = pc
		u.wg.Add(1)
	}
	u.mu.Unlock()
	if closed {
		pc.Close()
		return nil
	}
	defer u.wg.Done()
	sem := make(chan struct{}, maxUDPInFlight)
	buf := make([]byte, 64<<10)
	for {
		n, addr, err := pc.ReadFrom(buf)
		if err != nil {
			u.mu.Lock()
			closed := u.closed
			u.mu.Unlock()
			if closed || errors.Is(err, net.ErrClosed) {
				return nil
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			return fmt.Errorf("udp read: %w", err)
		}
		data := string(buf[:n])
		sem <- struct{}{}
		u.wg.Add(1)
		go func() {
			defer func() { <-sem; u.wg.Done() }()
			answer := u.answer(data, addr)
			if len(answer) == 0 {
				return // dropped: no answer fits (see answer)
			}
			pc.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if _, err := pc.WriteTo(answer, addr); err != nil {
				u.logger().Debug("udp answer not sent", "to", addr.String(), "err", err)
			}
		}()
	}
}

// answer runs one datagram and encodes its answer, cut at maxDatagram. An
// answer that is not authenticated (a failure, or any answer of a public
// entry) is never larger than the request, so that a forged source address
// cannot turn the server into an amplifier: a longer one is replaced by a
// short ERROR that fits, or dropped (nil) when even that does not fit.
func (u *UDP) answer(data string, addr net.Addr) []byte {
	snap := u.Engine.Snapshot()
	cfg := snap.Config
	var out []byte
	authenticated := false
	if len(data) > maxDatagram {
		out = encodeLine(&engine.Request{}, engine.Errorf("datagram longer than %d bytes", maxDatagram), cfg)
	} else {
		untrusted := cfg.Int("udptrust") == 0
		req, res := runLine(context.Background(), u.Engine, snap, data, remoteIP(addr.String()), "udp", untrusted)
		out = encodeLine(req, res, cfg)
		if res.OK {
			entry, ok := snap.Table.Lookup(req.Entry)
			// A non-public entry answers OK only to a caller that
			// authenticated (UDP gets no IP trust unless udptrust=1).
			authenticated = ok && entry.Access.ReqUser != engine.LevelPublic
		}
	}
	if len(out) > maxDatagram {
		out = out[:maxDatagram]
	}
	if !authenticated && len(out) > len(data) {
		out = shortUDPError(len(data))
	}
	return out
}

// shortUDPError is the longest of a few short ERROR answers that fits in n
// bytes, or nil.
func shortUDPError(n int) []byte {
	for _, s := range []string{
		"ERROR: the answer is larger than the request; authenticate or use TCP",
		"ERROR: answer too large",
		"ERROR",
	} {
		if len(s) <= n {
			return []byte(s)
		}
	}
	return nil
}

// Close stops reading, lets the datagrams being served answer and closes
// the socket.
func (u *UDP) Close() error {
	u.mu.Lock()
	u.closed = true
	pc := u.pc
	u.mu.Unlock()
	if pc == nil {
		return nil
	}
	pc.SetReadDeadline(time.Now())
	u.wg.Wait()
	return pc.Close()
}

func (u *UDP) logger() *slog.Logger {
	if u.Log == nil {
		return slog.Default()
	}
	return u.Log
}
