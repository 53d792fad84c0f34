// Package ops is the admin HTTP listener of a server (adminhttpaddr):
// /live, /ready and /metrics. It is never served on the public API port.
//
//	/live     200 while the process runs.
//	/ready    200 when the database is reachable and writable (a one-row
//	          UPDATE of tb_health within 2 s, the probe hearthbeat mode=full
//	          uses), the rule table is loaded and the outbox is not stuck;
//	          503 otherwise. The JSON body names each check and what is wrong.
//	/metrics  Prometheus text exposition (see metrics.go for the list).
package ops

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"mvapi/engine"
	"mvapi/schema"
)

// Admin serves the admin HTTP endpoints of one server.
type Admin struct {
	Engine  *engine.Engine
	DB      *schema.DB
	Log     *slog.Logger
	Version string

	reg *prometheus.Registry
}

// New returns the admin endpoints of e, its metrics registered.
func New(e *engine.Engine, version string, log *slog.Logger) *Admin {
	if log == nil {
		log = slog.Default()
	}
	a := &Admin{Engine: e, DB: e.DB(), Log: log, Version: version}
	a.reg = newRegistry(a)
	return a
}

// Registry is the Prometheus registry /metrics serves.
func (a *Admin) Registry() *prometheus.Registry { return a.reg }

// Handler serves /live, /ready and /metrics.
func (a *Admin) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /live", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "live", "version": a.Version})
	})
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, r *http.Request) {
		rep := a.Ready(r.Context())
		code := http.StatusOK
		if !rep.Ready {
			code = http.StatusServiceUnavailable
		}
		writeJSON(w, code, rep)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn), Timeout: 10 * time.Second,
	}))
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// NewServer is the admin http.Server, its error log through slog.
func (a *Admin) NewServer() *http.Server {
	return &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
}
