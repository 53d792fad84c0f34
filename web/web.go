// Package web serves the enduser portal (/webvoip, the reference's
// /webvoipportal) and the rules console (/console/, off unless
// webconsole=1): static ES modules and CSS embedded in the binary. The
// pages are clients of the API like any other: they call /mvapireq/ with
// format=json and compute authmd5 themselves, so they get no private
// endpoint and, being requests made by a web page, never IP trust.
package web

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"strings"

	"mvapi/engine"
)

//go:embed static
var static embed.FS

// Handler serves the portal and the console and passes every other path to
// API (the transport's HTTP handler).
type Handler struct {
	Engine *engine.Engine
	API    http.Handler
	files  http.Handler
}

// New wraps the API handler.
func New(e *engine.Engine, api http.Handler) *Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err)
	}
	return &Handler{Engine: e, API: api, files: http.FileServer(http.FS(sub))}
}

// csp allows the page's own modules, styles and API calls only: no inline
// script, no frames, no form posts elsewhere.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cache-Control", "no-cache")
}

// ServeHTTP routes /webvoip*, /console* and passes the rest to the API.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/webvoip" || p == "/webvoipportal" || strings.HasPrefix(p, "/webvoipportal/"):
		h.page(w, r, "webportal", func() { http.Redirect(w, r, "/webvoip/", http.StatusFound) })
	case strings.HasPrefix(p, "/webvoip/"):
		h.page(w, r, "webportal", func() { h.serve(w, r, "/webvoip/", "portal", h.portalConfig) })
	case p == "/console":
		h.page(w, r, "webconsole", func() { http.Redirect(w, r, "/console/", http.StatusFound) })
	case strings.HasPrefix(p, "/console/"):
		h.page(w, r, "webconsole", func() { h.serve(w, r, "/console/", "console", h.consoleConfig) })
	default:
		h.API.ServeHTTP(w, r)
	}
}

// page runs fn when the option is on, else answers 404 as an unknown path.
func (h *Handler) page(w http.ResponseWriter, r *http.Request, option string, fn func()) {
	if h.Engine.Config().Int(option) == 0 {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	securityHeaders(w)
	fn()
}

// serve answers config.json from cfg and every other name from the
// embedded folder dir.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, prefix, dir string, cfg func() any) {
	name := strings.TrimPrefix(r.URL.Path, prefix)
	if name == "config.json" {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(cfg())
		return
	}
	if dir == "console" && strings.HasPrefix(name, "lib/") {
		// The console shares the portal's modules (md5, API client, DOM).
		dir, name = "portal", strings.TrimPrefix(name, "lib/")
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/" + dir + "/" + name
	h.files.ServeHTTP(w, r2)
}

// PortalConfig is what /webvoip/config.json tells the page.
type PortalConfig struct {
	// APIKey is apiv2key when webportalkey=1, else empty.
	APIKey string `json:"apikey"`
	// KeyRequired says the server checks a key (apiv2key is set); without
	// APIKey the login form asks for it.
	KeyRequired bool `json:"keyrequired"`
	// MD5Salt is apiv2md5salt when webportalkey=1.
	MD5Salt string `json:"md5salt"`
	// SaltRequired says apiv2md5salt is set: without webportalkey=1 the
	// page cannot compute authmd5.
	SaltRequired bool `json:"saltrequired"`
	// Signup shows the sign up form (newuseru) when webportalsignup=1.
	Signup bool `json:"signup"`
}

func (h *Handler) portalConfig() any {
	cfg := h.Engine.Config()
	pc := PortalConfig{KeyRequired: cfg.APIKey != "", SaltRequired: cfg.MD5Salt != "", Signup: cfg.Int("webportalsignup") != 0}
	if cfg.Int("webportalkey") != 0 {
		pc.APIKey, pc.MD5Salt = cfg.APIKey, cfg.MD5Salt
	}
	return pc
}

func (h *Handler) consoleConfig() any {
	cfg := h.Engine.Config()
	// The admin types the key: the console never hands it out.
	return PortalConfig{KeyRequired: cfg.APIKey != "", SaltRequired: cfg.MD5Salt != ""}
}
