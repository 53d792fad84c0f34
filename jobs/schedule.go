package jobs

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// parseSchedule reads a cron spec of 5 fields or a descriptor (@hourly,
// @daily, @weekly, @monthly, @yearly, @every D). @every runs at multiples
// of D since the Unix epoch, so that every node agrees on the ticks.
func parseSchedule(spec string) (cron.Schedule, error) {
	spec = strings.TrimSpace(spec)
	if rest, ok := strings.CutPrefix(spec, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil {
			return nil, fmt.Errorf("%q: %v", spec, err)
		}
		if d < time.Second || d%time.Second != 0 {
			return nil, fmt.Errorf("%q: use whole seconds, at least 1s", spec)
		}
		return every{d}, nil
	}
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("%q: %v (use 5 cron fields, @hourly, @daily, @weekly, @monthly or @every 10s)", spec, err)
	}
	return s, nil
}

// every is @every D aligned to the epoch.
type every struct{ d time.Duration }

func (e every) Next(t time.Time) time.Time { return t.Truncate(e.d).Add(e.d) }

// tickOf is the scheduled time a run started at now belongs to: the same
// on every node.
func tickOf(s cron.Schedule, now time.Time) time.Time {
	if e, ok := s.(every); ok {
		return now.Truncate(e.d)
	}
	return now.Truncate(time.Minute)
}
