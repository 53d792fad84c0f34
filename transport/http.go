// Package transport carries API requests to the engine over the wire: each
// transport only decodes into an engine.Request and encodes the answer.
package transport

import (
	"context"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/engine/wire"
)

// HTTP serves the API on /mvapireq/ and on the root path (/?apientry=...),
// WebSocket on /mvstwebsock, the JSONP forwarder /mvapireq/jppget and the
// static files of the file storage folder on /mvweb/ (mvweb.go).
type HTTP struct {
	Engine *engine.Engine
	// WS serves /mvstwebsock; nil answers 404 there.
	WS *WebSocket
}

// Prebuilt header values: the hot path assigns them without allocating.
var (
	noStore = []string{"no-store"}
	noSniff = []string{"nosniff"}
	// contentTypes are the answer formats' Content-Type values.
	contentTypes = func() [][]string {
		var out [][]string
		for _, f := range []string{format.Text, format.HTML, format.XML, format.SOAP, format.JSON, format.JSONP} {
			out = append(out, []string{format.ContentType(f)})
		}
		return out
	}()
)

// contentType is the header value of ctype, prebuilt for the formats'.
func contentType(ctype string) []string {
	for _, v := range contentTypes {
		if v[0] == ctype {
			return v
		}
	}
	return []string{ctype}
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// maxPooled is the largest buffer capacity write returns to bufPool (as
// format.Encode does), so one huge answer does not stay pinned in memory.
const maxPooled = 64 << 10

// ServeHTTP decodes a GET query, a POST form, or a POST body (query text,
// JSON, XML, SOAP or ini lines), runs it and encodes the answer.
func (h *HTTP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isWebSocketPath(r.URL.Path) && h.WS != nil {
		h.WS.ServeHTTP(w, r)
		return
	}
	if isJPPGetPath(r.URL.Path) {
		h.serveJPPGet(w, r)
		return
	}
	// One snapshot per request: decoded, served and encoded (JSONP,
	// httpstrictresponse) under the same config.
	snap := h.Engine.Snapshot()
	cfg := snap.Config
	if isMVWebPath(r.URL.Path) {
		h.serveMVWeb(w, r, cfg)
		return
	}
	if r.URL.Path != "/" && !strings.HasPrefix(r.URL.Path, "/mvapireq") {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodPost, http.MethodHead:
	case http.MethodOptions:
		corsHeaders(w, r)
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		w.Header().Set("Allow", "GET, POST, HEAD, OPTIONS")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	ip := remoteIP(r.RemoteAddr)
	params, bodyFormat, err := decodeHTTP(r, cfg)
	if err != nil {
		req := &engine.Request{RemoteIP: ip, Transport: "http"}
		h.write(w, r, req, engine.Errorf("bad request: %v", err), cfg)
		return
	}
	req := engine.NewRequest(params, ip, "http")
	req.ID = requestID(r) // X-Request-Id, echoed in the answer (requestid.go)
	if req.Entry == "" && r.URL.Path == OpenAPIPath {
		req.Entry = "openapi"
	}
	if k := r.Header.Get("Idempotency-Key"); k != "" && req.Params["reqid"] == "" { // the request id of a retry-safe money move (builtin/requests.go)
		req.Params["reqid"] = k
	}
	req.Untrusted = FromBrowserPage(r) || req.Callback != "" || !HostAllowsTrust(r.Host, cfg)
	if r.URL.Path == "/" && req.Entry == "" {
		http.NotFound(w, r)
		return
	}
	if req.Format == "" {
		req.Format = guessFormat(bodyFormat, req, cfg)
	}
	res := h.Engine.ServeSnapshot(r.Context(), snap, req)
	h.write(w, r, req, res, cfg)
}

func decodeHTTP(r *http.Request, cfg *engine.Config) ([]wire.Param, string, error) {
	params, err := wire.ParseQuery(r.URL.RawQuery, cfg.XORKey)
	if err != nil {
		return nil, "", err
	}
	if r.Method != http.MethodPost {
		return params, "", nil
	}
	limit := int64(cfg.Int("maxrequestbytes"))
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, "", errors.New("could not read the body")
	}
	if int64(len(body)) > limit {
		return nil, "", errors.New("body too large")
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return params, "", nil
	}
	more, f, err := wire.ParseBody(r.Header.Get("Content-Type"), body, cfg.XORKey)
	if err != nil {
		return nil, "", err
	}
	return append(params, more...), f, nil
}

// guessFormat picks the answer format when the request names none: the
// body's own format, JSONP when a callback is given, else text.
func guessFormat(bodyFormat string, req *engine.Request, cfg *engine.Config) string {
	switch bodyFormat {
	case "json", "xml", "soap":
		return bodyFormat
	}
	if req.Callback != "" && cfg.JSONP != 0 {
		return format.JSONP
	}
	return format.Text
}

func (h *HTTP) write(w http.ResponseWriter, r *http.Request, req *engine.Request, res format.Result, cfg *engine.Config) {
	if req.ID != "" {
		w.Header()["X-Request-Id"] = []string{req.ID}
	}
	name, res := answerFormat(req, res, cfg)
	if res.OK && res.File != nil {
		writeFile(w, r, res.File)
		return
	}
	bp := bufPool.Get().(*[]byte)
	body, ctype, err := format.AppendEncode((*bp)[:0], name, res, req.Callback)
	if err != nil {
		body, ctype, _ = format.AppendEncode((*bp)[:0], format.Text, engine.Errorf("encode: %v", err), "")
	}
	hd := w.Header()
	hd["Content-Type"] = contentType(ctype)
	hd["Cache-Control"] = noStore
	hd["X-Content-Type-Options"] = noSniff
	corsHeaders(w, r)
	status := http.StatusOK
	if cfg.Strict {
		status = res.Code()
		if secs, ok := rateLimitRetry(res); ok {
			status = http.StatusTooManyRequests
			hd.Set("Retry-After", strconv.Itoa(secs))
		}
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
	if cap(body) <= maxPooled {
		*bp = body
		bufPool.Put(bp)
	}
}

// writeFile sends a download (a voice recording) as the body.
func writeFile(w http.ResponseWriter, r *http.Request, f *format.File) {
	hd := w.Header()
	hd.Set("Content-Type", f.ContentType)
	hd.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	hd.Set("Content-Length", strconv.Itoa(len(f.Data)))
	hd["Cache-Control"] = noStore
	hd["X-Content-Type-Options"] = noSniff
	corsHeaders(w, r)
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(f.Data)
	}
}

// corsHeaders lets browser clients (the WebPhone's XHR) read answers.
func corsHeaders(w http.ResponseWriter, r *http.Request) {
	if origin := r.Header.Get("Origin"); origin != "" {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
	}
}

func remoteIP(addr string) netip.Addr {
	ap, err := netip.ParseAddrPort(addr)
	if err == nil {
		return ap.Addr().Unmap()
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

// NewServer returns an http.Server for the API with sane limits.
func NewServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}

// Shutdown stops srv gracefully within timeout.
func Shutdown(srv *http.Server, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return srv.Shutdown(ctx)
}

// FromBrowserPage reports whether r was sent by a web page rather than typed
// by a person or sent by a program: it carries an Origin or a Referer, or a
// Sec-Fetch-Site other than "none". Such requests never get IP trust, so a
// page the operator's browser happens to open cannot use loopback trust to
// run admin entries (a cross-site request forgery) or read their answers.
// JSONP requests are treated the same way, since a <script> tag of any page
// can load them.
func FromBrowserPage(r *http.Request) bool {
	if r.Header.Get("Origin") != "" || r.Header.Get("Referer") != "" {
		return true
	}
	site := r.Header.Get("Sec-Fetch-Site")
	return site != "" && site != "none"
}

// answerFormat is the format an answer is encoded in: the one asked for if
// valid, else text. JSONP without enablejsonp or a valid callback name
// falls back to text and, unless the answer is already an error, says why.
func answerFormat(req *engine.Request, res format.Result, cfg *engine.Config) (string, format.Result) {
	name := req.Format
	if !format.Valid(name) {
		name = format.Text
	}
	if name == format.JSONP && (cfg.JSONP == 0 || !format.ValidCallback(req.Callback)) {
		name = format.Text
		if res.Kind == engine.KindNone {
			res = engine.Errorf("jsonp needs enablejsonp and a valid callback name")
		}
	}
	return name, res
}
