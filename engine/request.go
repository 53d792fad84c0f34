package engine

import (
	"crypto/rand"
	"encoding/hex"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"

	"mvapi/engine/wire"
)

// Params are a request's parameters by lower-case name.
type Params map[string]string

// Get returns the value of a parameter ("" when absent); name is matched
// case-insensitively.
func (p Params) Get(name string) string {
	if v, ok := p[name]; ok {
		return v
	}
	return p[strings.ToLower(name)]
}

// Has reports whether the parameter was sent (even empty).
func (p Params) Has(name string) bool {
	if _, ok := p[name]; ok {
		return true
	}
	_, ok := p[strings.ToLower(name)]
	return ok
}

// Request is one API call as every transport hands it to the engine.
type Request struct {
	// Entry is the lower-cased apientry.
	Entry    string
	Params   Params
	RemoteIP netip.Addr
	// Transport is "http", "ws", "tcp", "udp", "console" or "internal".
	Transport string
	// Format is the answer format asked for or guessed ("text" if unsure).
	Format string
	// Callback is the JSONP callback name, if any.
	Callback string
	// Session is the user a transport already authenticated (the admin
	// console's login); requests then need no key or password, as
	// apitrustfromconsole allows. Never set it from request parameters.
	Session *User
	// Untrusted denies IP trust whatever RemoteIP is: a transport sets it
	// when the source address can be forged (UDP, unless udptrust=1).
	Untrusted bool
	// ID names the request in the log ("3fa2c1-2s"). A transport may set
	// one it received; Serve fills it when empty.
	ID string
}

// Request ids are a prefix random per process and a counter: unique across
// nodes and restarts in practice, and one small string per request.
var (
	requestPrefix = func() string {
		b := make([]byte, 3)
		rand.Read(b)
		return hex.EncodeToString(b) + "-"
	}()
	requestSeq atomic.Uint64
)

// newRequestID returns the next request id of this process.
func newRequestID() string {
	var buf [24]byte
	b := append(buf[:0], requestPrefix...)
	return string(strconv.AppendUint(b, requestSeq.Add(1), 36))
}

// aliases maps alternative parameter names to the canonical one the
// built-ins read (the reference's "anum/phone1/from" and so on).
var aliases = [...]struct{ alt, canon string }{
	{"authsalt", "authsalt1"},
	{"phone1", "anum"},
	{"from", "anum"},
	{"phone2", "bnum"},
	{"to", "bnum"},
	{"message", "txt"},
}

// legacyOrder is the reference's fully positional form: param1 is the
// function name, then key, user, password, then the function's parameters.
var legacyOrder = []string{"apientry", "authkey", "authid", "authpwd"}

// NewRequest builds a Request from decoded parameters. Later parameters win
// over earlier ones with the same name; aliases fill their canonical name
// when that was not sent itself.
func NewRequest(params []wire.Param, ip netip.Addr, transport string) *Request {
	p := make(Params, len(params)+2)
	for _, kv := range params {
		p[kv.Name] = kv.Value
	}
	for _, a := range aliases {
		if v, ok := p[a.alt]; ok {
			if _, set := p[a.canon]; !set {
				p[a.canon] = v
			}
		}
	}
	if _, ok := p["apientry"]; !ok {
		if _, ok := p["param1"]; ok {
			shiftLegacy(p)
		}
	}
	r := &Request{
		Entry:     strings.ToLower(strings.TrimSpace(p["apientry"])),
		Params:    p,
		RemoteIP:  ip.Unmap(),
		Transport: transport,
		Format:    strings.ToLower(p["format"]),
		Callback:  p["callback"],
	}
	if r.Callback == "" {
		r.Callback = p["jsonp"]
	}
	return r
}

// shiftLegacy turns param1..paramN of the fully positional form into named
// parameters: param5 becomes the function's param1 and so on.
func shiftLegacy(p Params) {
	shifted := map[int]string{}
	for k, v := range p {
		n, ok := paramIndex(k)
		if !ok {
			continue
		}
		delete(p, k)
		shifted[n] = v
	}
	for n, v := range shifted {
		if n <= len(legacyOrder) {
			if _, set := p[legacyOrder[n-1]]; !set {
				p[legacyOrder[n-1]] = v
			}
			continue
		}
		p["param"+strconv.Itoa(n-len(legacyOrder))] = v
	}
}

// paramIndex returns N for a name "paramN" (N >= 1).
func paramIndex(name string) (int, bool) {
	if !strings.HasPrefix(name, "param") {
		return 0, false
	}
	n, err := strconv.Atoi(name[len("param"):])
	if err != nil || n < 1 {
		return 0, false
	}
	return n, true
}

// mapPositional names param1..paramN after the entry's documented
// parameters, unless the named parameter was sent itself.
func mapPositional(p Params, names []string) {
	for i, name := range names {
		k := "param" + strconv.Itoa(i+1)
		v, ok := p[k]
		if !ok {
			continue
		}
		if _, set := p[name]; !set {
			p[name] = v
		}
	}
}
