package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"mvapi/internal/mvtest"
	"mvapi/web"
)

func handler(t *testing.T, sets map[string]string) http.Handler {
	t.Helper()
	e := mvtest.MustEngine(t, mvtest.MustDB(t), sets)
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "api") })
	return web.New(e, api)
}

func get(h http.Handler, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

func TestPortalPagesHaveSecurityHeaders(t *testing.T) {
	h := handler(t, nil)
	for _, p := range []string{"/webvoip/", "/webvoip/app.js", "/webvoip/md5.js", "/webvoip/style.css", "/webvoip/config.json"} {
		rec := get(h, p)
		if rec.Code != 200 {
			t.Fatalf("%s: %d", p, rec.Code)
		}
		hd := rec.Header()
		csp := hd.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe") {
			t.Fatalf("%s: CSP %q", p, csp)
		}
		if hd.Get("Referrer-Policy") != "no-referrer" || hd.Get("X-Content-Type-Options") != "nosniff" || hd.Get("X-Frame-Options") != "DENY" {
			t.Fatalf("%s: headers %v", p, hd)
		}
	}
	if ct := get(h, "/webvoip/app.js").Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Fatalf("app.js served as %q (nosniff needs a script type)", ct)
	}
	// No inline script in the page: CSP would block it anyway.
	if body := get(h, "/webvoip/").Body.String(); strings.Contains(body, "<script>") || !strings.Contains(body, `src="app.js"`) {
		t.Fatalf("index.html: %s", body)
	}
}

func TestPortalPathsAndOptions(t *testing.T) {
	h := handler(t, nil)
	for _, p := range []string{"/webvoip", "/webvoipportal", "/webvoipportal/"} {
		if rec := get(h, p); rec.Code != http.StatusFound || rec.Header().Get("Location") != "/webvoip/" {
			t.Fatalf("%s: %d %q", p, rec.Code, rec.Header().Get("Location"))
		}
	}
	if rec := get(h, "/mvapireq/?apientry=apitest1"); rec.Body.String() != "api" {
		t.Fatalf("the API path went to %q", rec.Body.String())
	}
	// The console is off by default; the portal can be turned off.
	if rec := get(h, "/console/"); rec.Code != 404 {
		t.Fatalf("console without webconsole=1: %d", rec.Code)
	}
	off := handler(t, map[string]string{"webportal": "0"})
	if rec := get(off, "/webvoip/"); rec.Code != 404 {
		t.Fatalf("webportal=0: %d", rec.Code)
	}
	on := handler(t, map[string]string{"webconsole": "1"})
	if rec := get(on, "/console/"); rec.Code != 200 {
		t.Fatalf("webconsole=1: %d", rec.Code)
	}
	req := httptest.NewRequest(http.MethodPost, "/webvoip/", strings.NewReader("x"))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST /webvoip/: %d", rec.Code)
	}
}

func TestPortalGetsTheKeyOnlyWhenTheOperatorSaysSo(t *testing.T) {
	read := func(h http.Handler, path string) web.PortalConfig {
		t.Helper()
		rec := get(h, path)
		if rec.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("%s cached: %v", path, rec.Header())
		}
		var pc web.PortalConfig
		if err := json.Unmarshal(rec.Body.Bytes(), &pc); err != nil {
			t.Fatal(err)
		}
		return pc
	}
	sets := map[string]string{"apiv2key": "k123", "apiv2md5salt": "pepper", "webconsole": "1"}
	pc := read(handler(t, sets), "/webvoip/config.json")
	if pc.APIKey != "" || pc.MD5Salt != "" || !pc.KeyRequired || !pc.SaltRequired || pc.Signup {
		t.Fatalf("default config %+v", pc)
	}
	sets["webportalkey"], sets["webportalsignup"] = "1", "1"
	h := handler(t, sets)
	if pc := read(h, "/webvoip/config.json"); pc.APIKey != "k123" || pc.MD5Salt != "pepper" || !pc.Signup {
		t.Fatalf("webportalkey=1 config %+v", pc)
	}
	// The console never hands out the key.
	if pc := read(h, "/console/config.json"); pc.APIKey != "" || pc.MD5Salt != "" || !pc.KeyRequired {
		t.Fatalf("console config %+v", pc)
	}
}
