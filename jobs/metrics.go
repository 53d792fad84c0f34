package jobs

import (
	"errors"
	"sort"
	"sync"
)

// JobStat is how often this process ran or skipped one job's ticks.
type JobStat struct {
	Job                 string
	OK, Failed, Skipped int64
}

var runStats struct {
	mu    sync.Mutex
	byJob map[string]*JobStat
}

// countTick records the outcome of one tick of job (err as record returned it).
func countTick(job string, err error) {
	runStats.mu.Lock()
	defer runStats.mu.Unlock()
	if runStats.byJob == nil {
		runStats.byJob = map[string]*JobStat{}
	}
	st := runStats.byJob[job]
	if st == nil {
		st = &JobStat{Job: job}
		runStats.byJob[job] = st
	}
	switch {
	case errors.Is(err, errSkipped):
		st.Skipped++
	case err != nil:
		st.Failed++
	default:
		st.OK++
	}
}

// RunStats returns the tick counters of every job this process saw, by
// name (for the metrics).
func RunStats() []JobStat {
	runStats.mu.Lock()
	defer runStats.mu.Unlock()
	out := make([]JobStat, 0, len(runStats.byJob))
	for _, st := range runStats.byJob {
		out = append(out, *st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Job < out[j].Job })
	return out
}
