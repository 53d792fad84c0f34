package jobs

import (
	"strings"
	"testing"
	"time"
)

func TestParseSchedule(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 17, 42, 500e6, time.UTC)
	cases := []struct {
		spec     string
		next     time.Time
		tick     time.Time
		errorHas string
	}{
		{spec: "@every 10s", next: time.Date(2026, 11, 25, 10, 17, 50, 0, time.UTC), tick: time.Date(2026, 11, 25, 10, 17, 40, 0, time.UTC)},
		{spec: "@every 1s", next: time.Date(2026, 11, 25, 10, 17, 43, 0, time.UTC), tick: time.Date(2026, 11, 25, 10, 17, 42, 0, time.UTC)},
		{spec: "@hourly", next: time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC), tick: time.Date(2026, 11, 25, 10, 17, 0, 0, time.UTC)},
		{spec: "*/5 * * * *", next: time.Date(2026, 11, 25, 10, 20, 0, 0, time.UTC), tick: time.Date(2026, 11, 25, 10, 17, 0, 0, time.UTC)},
		{spec: "@daily", next: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)},
		{spec: "@every 500ms", errorHas: "whole seconds"},
		{spec: "@every soon", errorHas: "invalid duration"},
		{spec: "61 * * * *", errorHas: "use 5 cron fields"},
		{spec: "", errorHas: "use 5 cron fields"},
	}
	for _, c := range cases {
		s, err := parseSchedule(c.spec)
		if c.errorHas != "" {
			if err == nil || !strings.Contains(err.Error(), c.errorHas) {
				t.Errorf("%q: err %v, want %q", c.spec, err, c.errorHas)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.spec, err)
			continue
		}
		if got := s.Next(at); !got.Equal(c.next) {
			t.Errorf("%q: next %v, want %v", c.spec, got, c.next)
		}
		if !c.tick.IsZero() {
			if got := tickOf(s, at); !got.Equal(c.tick) {
				t.Errorf("%q: tick %v, want %v", c.spec, got, c.tick)
			}
		}
	}
}

func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{"@every 1s", "@hourly", "0 0 * * *", "*/5 1-3 * * MON", "@every 1h30m", "@every -1s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := parseSchedule(spec)
		if err != nil {
			return
		}
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		if n := s.Next(now); !n.IsZero() && !n.After(now) {
			t.Fatalf("%q: next %v not after %v", spec, n, now)
		}
	})
}
