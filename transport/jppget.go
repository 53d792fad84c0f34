package transport

import (
	"encoding/json"
	"net/http"
	"strings"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/engine/wire"
)

// isJPPGetPath reports whether an HTTP path is the JSONP forwarder.
func isJPPGetPath(p string) bool {
	return p == "/mvapireq/jppget" || p == "/mvapireq/jppget/"
}

// serveJPPGet is the WebPhone's last resort when neither WebSocket nor CORS
// XHR works: GET /mvapireq/jppget?url=ENCODED_URL&callback=NAME, answered
// NAME({"contents":"BODY"}); with BODY the text answer of the request in
// url's query. Only the query of url is used: its scheme and host are
// ignored and nothing remote is ever fetched. Parameters sent next to url
// (other than url and callback), as a client that did not encode url
// leaves them, are added to the request. It needs enablejsonp=2; below
// that the path does not exist (404).
//
// The answer is padded (NAME(...);) only for a real JSONP call, a script
// tag's load; an XHR (WebPhone 4.2 goes through jQuery getJSON with a fixed
// callback name and no "=?" pattern, so jQuery makes an XHR and parses
// JSON) gets the plain JSON {"contents":"BODY"}: see wantsJSONP.
func (h *HTTP) serveJPPGet(w http.ResponseWriter, r *http.Request) {
	snap := h.Engine.Snapshot()
	cfg := snap.Config
	if cfg.JSONP < 2 {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	ip := remoteIP(r.RemoteAddr)
	fail := func(res format.Result) {
		h.write(w, r, &engine.Request{RemoteIP: ip, Transport: "http", Format: format.Text}, res, cfg)
	}
	outer, err := wire.ParseQuery(r.URL.RawQuery, cfg.XORKey)
	if err != nil {
		fail(engine.Errorf("bad request: %v", err))
		return
	}
	var target, callback string
	var extra []wire.Param
	for _, p := range outer {
		switch p.Name {
		case "url":
			target = p.Value
		case "callback":
			callback = p.Value
		default:
			extra = append(extra, p)
		}
	}
	padded := wantsJSONP(r, callback)
	if padded && !format.ValidCallback(callback) {
		fail(engine.Errorf("jppget needs a valid callback name"))
		return
	}
	if strings.TrimSpace(target) == "" {
		fail(engine.Errorf("jppget needs the url parameter"))
		return
	}
	params, err := wire.ParseQuery(lineQuery(target), cfg.XORKey)
	if err != nil {
		fail(engine.Errorf("bad request in url: %v", err))
		return
	}
	req := engine.NewRequest(append(params, extra...), ip, "http")
	req.Untrusted = true // JSONP serves web pages: never IP trust (see FromBrowserPage)
	req.Format, req.Callback = format.Text, ""
	res := h.Engine.ServeSnapshot(r.Context(), snap, req)
	text := strings.TrimRight(string(encodeLine(req, res, cfg)), "\r\n")
	contents, _ := json.Marshal(text) // escapes <, > and & too: safe inside a script
	body := make([]byte, 0, len(callback)+len(contents)+20)
	ctype := "application/json; charset=utf-8"
	if padded {
		body = append(body, callback...)
		body = append(body, '(')
		ctype = "application/javascript; charset=utf-8"
	}
	body = append(body, `{"contents":`...)
	body = append(body, contents...)
	body = append(body, '}')
	if padded {
		body = append(body, ");"...)
	}
	hd := w.Header()
	hd.Set("Content-Type", ctype)
	hd["Cache-Control"] = noStore
	hd["X-Content-Type-Options"] = noSniff
	corsHeaders(w, r)
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// wantsJSONP reports whether a jppget request is a script tag's JSONP load
// (answered NAME({...});) rather than an XHR or fetch that parses JSON:
// with a callback name, not "?" (jQuery's unreplaced "=?" placeholder), and
// not an XHR (Sec-Fetch-Dest "empty", X-Requested-With, or an Accept that
// names application/json, as jQuery's getJSON sends).
func wantsJSONP(r *http.Request, callback string) bool {
	if callback == "" || callback == "?" {
		return false
	}
	switch strings.ToLower(r.Header.Get("Sec-Fetch-Dest")) {
	case "script":
		return true
	case "empty":
		return false
	}
	if r.Header.Get("X-Requested-With") != "" {
		return false
	}
	return !strings.Contains(strings.ToLower(r.Header.Get("Accept")), "application/json")
}
