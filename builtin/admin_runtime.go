package builtin

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"

	"mvapi/engine"
	"mvapi/engine/format"
)

// The reference's thread lists are, in a Go server, goroutines: grouped by
// identical stacks (the runtime's goroutine profile), each group named by
// its first frame outside the runtime. locks lists what waits: for a
// database connection in the pool, and for a lock inside the database.

func registerAdminRuntime(reg *engine.Registry) {
	for _, b := range []engine.Builtin{
		{Name: "threads", Handler: goroutineList(false, false), Doc: "Goroutines grouped by what they run: count and function."},
		{Name: "threadlist", Handler: goroutineList(true, false), Doc: "Goroutines grouped by what they run: count, function and source line."},
		{Name: "threads2", Handler: goroutineList(true, true), Doc: "Goroutines grouped by identical stacks, with the stack."},
		{Name: "locks", Handler: lockWaits, Doc: "What waits: for a database connection, and for a lock inside the database."},
	} {
		b.Access = engine.AdminAPI
		reg.Add(b)
	}
}

// goroutineGroup is a set of goroutines with one stack.
type goroutineGroup struct {
	count  int
	frames []frame
}

type frame struct{ fn, where string }

// goroutineGroups parses the goroutine profile (debug=1: groups of
// identical stacks, "N @ addr..." then "#\taddr\tfunc+off\tfile:line").
func goroutineGroups() ([]goroutineGroup, error) {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
		return nil, err
	}
	var out []goroutineGroup
	sc := bufio.NewScanner(&buf)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if n, _, ok := strings.Cut(line, " @ "); ok {
			if cnt, err := strconv.Atoi(n); err == nil {
				out = append(out, goroutineGroup{count: cnt})
			}
			continue
		}
		if !strings.HasPrefix(line, "#\t") || len(out) == 0 {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 4 {
			continue
		}
		fn := f[2]
		if i := strings.LastIndex(fn, "+0x"); i > 0 {
			fn = fn[:i]
		}
		g := &out[len(out)-1]
		g.frames = append(g.frames, frame{fn: fn, where: strings.TrimSpace(f[3])})
	}
	return out, sc.Err()
}

// top is the group's first frame outside the runtime and the standard
// library's waiting machinery.
func (g goroutineGroup) top() frame {
	for _, f := range g.frames {
		if !strings.HasPrefix(f.fn, "runtime.") && !strings.HasPrefix(f.fn, "internal/") &&
			!strings.HasPrefix(f.fn, "sync.") && !strings.HasPrefix(f.fn, "time.Sleep") {
			return f
		}
	}
	if len(g.frames) > 0 {
		return g.frames[0]
	}
	return frame{fn: "?"}
}

func goroutineList(withWhere, withStack bool) engine.Handler {
	return func(_ context.Context, c *engine.Call) (format.Result, error) {
		groups, err := goroutineGroups()
		if err != nil {
			return format.Result{}, err
		}
		type row struct {
			count          int
			fn, where, stk string
		}
		merged := map[string]*row{}
		for _, g := range groups {
			t := g.top()
			key := t.fn
			if withWhere {
				key += "|" + t.where
			}
			var stk string
			if withStack {
				names := make([]string, 0, len(g.frames))
				for _, f := range g.frames {
					names = append(names, f.fn)
				}
				stk = strings.Join(names, " < ")
				key += "|" + stk
			}
			if r, ok := merged[key]; ok {
				r.count += g.count
				continue
			}
			merged[key] = &row{count: g.count, fn: t.fn, where: t.where, stk: stk}
		}
		list := make([]*row, 0, len(merged))
		for _, r := range merged {
			list = append(list, r)
		}
		sort.Slice(list, func(i, j int) bool {
			if list[i].count != list[j].count {
				return list[i].count > list[j].count
			}
			return list[i].fn < list[j].fn
		})
		cols := []string{"count", "function"}
		if withWhere {
			cols = append(cols, "where")
		}
		if withStack {
			cols = append(cols, "stack")
		}
		rows := make([][]string, 0, len(list))
		for _, r := range list {
			out := []string{strconv.Itoa(r.count), r.fn}
			if withWhere {
				out = append(out, r.where)
			}
			if withStack {
				out = append(out, r.stk)
			}
			rows = append(rows, out)
		}
		return table(fmt.Sprintf("%d goroutines in %d groups", runtime.NumGoroutine(), len(rows)), cols, rows), nil
	}
}

func lockWaits(ctx context.Context, c *engine.Call) (format.Result, error) {
	db := c.DB()
	st := db.Stats()
	rows := [][]string{{"pool", "connections", fmt.Sprintf("%d in use of %d", st.InUse, st.MaxOpenConnections),
		fmt.Sprintf("%d waits for a free connection since start, %s in all", st.WaitCount, st.WaitDuration)}}
	waiting := 0
	q := db.Dialect.LockWaitsSQL()
	if q == "" {
		rows = append(rows, []string{"database", "sqlite", "-",
			"one writer at a time; a writer waits for the lock up to the busy timeout (10 s): see querylist"})
	} else {
		res, err := db.QueryContext(ctx, q)
		if err != nil {
			c.Engine.Logger().Warn("locks: lock view not readable", "err", err)
			rows = append(rows, []string{"database", "unavailable", "-", "the lock view cannot be read: " + clipText(err.Error(), 120)})
		} else {
			defer res.Close()
			for res.Next() {
				var who, kind, mode, what string
				if err := res.Scan(&who, &kind, &mode, &what); err != nil {
					return format.Result{}, err
				}
				waiting++
				rows = append(rows, []string{"database", kind, mode, "session " + who + ": " + strings.TrimSpace(what)})
			}
			if err := res.Err(); err != nil {
				return format.Result{}, err
			}
		}
	}
	return table(fmt.Sprintf("%d lock waits in the database, %d of %d connections in use", waiting,
		st.InUse, st.MaxOpenConnections), []string{"source", "kind", "mode", "detail"}, rows), nil
}
