package builtin_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"mvapi/engine"
)

// cdrFixture is a database with known calls. Labels name the calls; ids
// maps a label to its tb_cdrs.id.
type cdrFixture struct {
	*env
	ids   map[string]int64
	times map[string]time.Time
	u123  string // the id of the user the reference's admin example calls 123
}

type fixtureCall struct {
	label          string
	at             time.Time
	from, to       string // usernames (or numbers for external parties)
	dur            int
	cost, provider float64
}

func newCDRFixture(t *testing.T) *cdrFixture {
	v := newEnv(t, nil)
	f := &cdrFixture{env: v, ids: map[string]int64{}, times: map[string]time.Time{}}
	users := map[string]int64{}
	v.user("root", engine.TypeAdmin, 0)
	for _, u := range []string{"alice", "bob"} {
		users[u] = v.user(u, engine.TypeEndUser, 1)
	}
	users["carol"] = v.user("carol", engine.TypeReseller, 1)
	users["dan"] = v.user("dan", engine.TypeEndUser, 1)
	v.exec("UPDATE tb_users SET parentid = ? WHERE username = 'dan'", users["carol"])
	users["u123"] = v.user("u123", engine.TypeEndUser, 0)
	f.u123 = strconv.FormatInt(users["u123"], 10)

	now := time.Now().UTC()
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	today1, today2 := midnight.Add(now.Sub(midnight)/2), midnight.Add(now.Sub(midnight)/4)
	day := 24 * time.Hour
	calls := []fixtureCall{
		{"c1", today1, "alice", "bob", 60, 0.10, 0.04},
		{"c2", today2, "alice", "40721000111", 0, 0, 0},
		{"c3", midnight.Add(-time.Hour), "bob", "alice", 30, 0.05, 0.02},
		{"c4", now.Add(-3 * day), "bob", "alice", 0, 0, 0},
		{"c5", now.Add(-10 * day), "alice", "40722000222", 120, 0.30, 0.10},
		{"c6", now.Add(-20 * day), "alice", "36301234567", 45, 0.20, 0.05},
		{"c7", now.Add(-40 * day), "alice", "4420000000", 10, 0.01, 0},
		{"c8", now.Add(-400 * day), "alice", "40700000000", 5, 0.02, 0},
		{"c9", today1.Add(-time.Second), "dan", "40123", 100, 1.0, 0.5},
		{"c10", now.Add(-5 * day), "u123", "40555", 20, 0.2, 0.1},
		{"c11", now.Add(-5*day - time.Hour), "u123", "36555", 20, 0.2, 0.1},
		{"c12", now.Add(-15 * day), "u123", "40666", 20, 0.2, 0.1},
	}
	for _, c := range calls {
		var id int64
		err := v.db.QueryRowx(v.db.Dialect.ReturningID(`INSERT INTO tb_cdrs
 (datum, callerid, calledid, caller, called, callednumber, duration, cost, providercost, price, sipcallid)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0.1, ?)`),
			c.at, users[c.from], users[c.to], c.from, c.to, c.to, c.dur, c.cost, c.provider, "sip-"+c.label).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		f.ids[c.label] = id
		f.times[c.label] = c.at
	}
	return f
}

// labels turns the id column of an answer back into labels.
func (f *cdrFixture) labels(t *testing.T, user string, kv ...string) string {
	t.Helper()
	res := f.as(user, "cdr", kv...)
	wantOK(t, res, "OK: ")
	byID := map[string]string{}
	for l, id := range f.ids {
		byID[strconv.FormatInt(id, 10)] = l
	}
	var out []string
	for _, id := range column(t, res, "id") {
		out = append(out, byID[id])
	}
	return strings.Join(out, ",")
}

// thisMonth lists the labels of want that fall in the current month.
func (f *cdrFixture) thisMonth(want ...string) string {
	now := time.Now().UTC()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	var out []string
	for _, l := range want {
		if !f.times[l].Before(first) {
			out = append(out, l)
		}
	}
	return strings.Join(out, ",")
}

func TestCDRFilters(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		f := newCDRFixture(t)
		all := "c1,c2,c3,c4,c5,c6,c7,c8"
		for _, tc := range []struct {
			name, user string
			kv         []string
			want       string
		}{
			{"no filter: own calls out and in, newest first", "alice", nil, all},
			{"days=today", "alice", []string{"days", "today"}, "c1,c2"},
			{"days=yesterday", "alice", []string{"days", "yesterday"}, "c3"},
			{"days=lastweek", "alice", []string{"days", "lastweek"}, "c1,c2,c3,c4"},
			{"days=lastmonth", "alice", []string{"days", "lastmonth"}, "c1,c2,c3,c4,c5,c6"},
			{"days=thismonth", "alice", []string{"days", "thismonth"}, f.thisMonth("c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8")},
			{"days=N", "alice", []string{"days", "15"}, "c1,c2,c3,c4,c5"},
			{"dir=out", "alice", []string{"dir", "out"}, "c1,c2,c5,c6,c7,c8"},
			{"dir=in", "alice", []string{"dir", "in"}, "c3,c4"},
			{"dir=all", "alice", []string{"dir", "all"}, all},
			{"type=connected", "alice", []string{"type", "connected"}, "c1,c3,c5,c6,c7,c8"},
			{"type=notconnected", "alice", []string{"type", "notconnected"}, "c2,c4"},
			{"type=all", "alice", []string{"type", "all"}, all},
			{"caller", "alice", []string{"caller", "bob"}, "c3,c4"},
			{"called", "alice", []string{"called", "bob"}, "c1"},
			{"prefix", "alice", []string{"prefix", "40"}, "c2,c5,c8"},
			{"maxcount", "alice", []string{"maxcount", "2"}, "c1,c2"},
			{"order=date", "alice", []string{"order", "date"}, all},
			{"order=caller", "alice", []string{"order", "caller"}, "c1,c2,c5,c6,c7,c8,c3,c4"},
			{"order=called", "alice", []string{"order", "called"}, "c6,c8,c2,c5,c7,c3,c4,c1"},
			{"order=user", "alice", []string{"order", "user"}, "c1,c2,c5,c6,c7,c8,c3,c4"},
			{"fromdt/todt", "alice", []string{"fromdt", f.times["c6"].Add(-time.Minute).Format("2006-01-02 15:04:05"), "todt", f.times["c5"].Add(time.Minute).Format("2006-01-02 15:04:05")}, "c5,c6"},
			{"another enduser sees own calls only", "bob", nil, "c1,c3,c4"},
			{"a reseller sees own users' calls", "carol", nil, "c9"},
			{"admin sees every call", "root", []string{"maxcount", "100"}, "c1,c9,c2,c3,c4,c10,c11,c5,c12,c6,c7,c8"},
			{"admin caller by user id", "root", []string{"caller", f.u123}, "c10,c11,c12"},
			{"positional", "alice", []string{"param4", "today"}, "c1,c2"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if got := f.labels(t, tc.user, tc.kv...); got != tc.want {
					t.Fatalf("got %s, want %s", got, tc.want)
				}
			})
		}
	})
}

func TestCDRFieldsSummaryAndBy(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		f := newCDRFixture(t)
		cols := func(user string, kv ...string) string {
			res := f.as(user, "cdr", kv...)
			wantOK(t, res, "OK: ")
			return strings.Join(res.Columns, ",")
		}
		if got := cols("alice", "fields", "min"); got != "datum,caller,called,duration" {
			t.Errorf("fields=min: %s", got)
		}
		if got := cols("alice", "fields", "normal"); got != "id,datum,caller,called,duration,cost,reasoncode" {
			t.Errorf("fields=normal: %s", got)
		}
		if got := cols("alice", "fields", "all"); strings.Contains(got, "profit") || !strings.Contains(got, "sipcallid") {
			t.Errorf("fields=all for an enduser: %s", got)
		}
		if got := cols("root", "fields", "all"); !strings.HasSuffix(got, "providercost,profit") {
			t.Errorf("fields=all for an admin: %s", got)
		}
		for _, tc := range []struct {
			name, user string
			kv         []string
			want       string
			rows       int
		}{
			{"summary=yes", "alice", []string{"summary", "yes"}, "OK: 8 calls; summary: calls=8, connected=6, duration=270, cost=0.68", 8},
			{"summary=no", "alice", []string{"summary", "no"}, "OK: 8 calls", 8},
			{"by=all", "alice", []string{"by", "all"}, "OK: calls=8, connected=6, duration=270, cost=0.68", 1},
			{"by=caller", "alice", []string{"by", "caller"}, "OK: 2 callers", 2},
			{"by=called", "alice", []string{"by", "called"}, "OK: 7 calleds", 7},
			{"by=day", "alice", []string{"by", "day", "days", "lastweek"}, "OK: ", 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := f.as(tc.user, "cdr", tc.kv...)
				if res.Text != tc.want && !(tc.want == "OK: " && strings.HasPrefix(res.Text, "OK: ")) {
					t.Fatalf("%q, want %q", res.Text, tc.want)
				}
				if tc.rows > 0 && len(res.Rows) != tc.rows {
					t.Fatalf("%d rows, want %d", len(res.Rows), tc.rows)
				}
			})
		}
		res := f.as("alice", "cdr", "by", "caller")
		if got := fmt.Sprint(res.Rows); got != "[[alice 6 5 240 0.63] [bob 2 1 30 0.05]]" {
			t.Fatalf("by=caller rows %s", got)
		}
		res = f.as("alice", "cdr", "by", "day", "days", "lastweek")
		days := column(t, res, "day")
		calls := column(t, res, "calls")
		got := map[string]string{}
		for i := range days {
			got[days[i]] = calls[i]
		}
		want := map[string]int{}
		for _, l := range []string{"c1", "c2", "c3", "c4"} {
			want[f.times[l].Format("2006-01-02")]++
		}
		if len(got) != len(want) {
			t.Fatalf("by=day %v, want %v", got, want)
		}
		for d, n := range want {
			if got[d] != strconv.Itoa(n) {
				t.Fatalf("by=day %v, want %v", got, want)
			}
		}
		if len(days) > 1 && days[0] < days[1] {
			t.Fatalf("by=day not newest first: %v", days)
		}
	})
}

func TestCDRBadFilters(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		v := newEnv(t, nil)
		v.user("alice", 0, 0)
		for _, tc := range []struct{ k, val, want string }{
			{"days", "fortnight", "bad days"}, {"days", "0", "bad days"}, {"days", "99999", "bad days"},
			{"dir", "up", "bad dir"}, {"type", "busy", "bad type"}, {"maxcount", "0", "bad maxcount"},
			{"maxcount", "10001", "bad maxcount"}, {"prefix", "4%", "bad prefix"}, {"fields", "few", "bad fields"},
			{"summary", "maybe", "bad summary"}, {"by", "week", "bad by"}, {"order", "cost", "bad order"},
			{"fromdt", "yesterday", "bad fromdt"}, {"todt", "2024-13-01", "bad todt"},
		} {
			wantErr(t, v.as("alice", "cdr", tc.k, tc.val), tc.want)
		}
	})
}

// TestCDRReferenceExamples runs each example of the reference's "Cdr API
// examples" against the fixture, with the answer worked out by hand.
func TestCDRReferenceExamples(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T) {
		f := newCDRFixture(t)
		monthCost := func(labels ...string) (calls, connected, dur int, cost float64) {
			costs := map[string]float64{"c1": 0.10, "c3": 0.05, "c5": 0.30, "c6": 0.20, "c7": 0.01, "c8": 0.02}
			durs := map[string]int{"c1": 60, "c3": 30, "c5": 120, "c6": 45, "c7": 10, "c8": 5}
			for _, l := range strings.Split(f.thisMonth(labels...), ",") {
				if l == "" {
					continue
				}
				calls++
				if durs[l] > 0 {
					connected++
				}
				dur += durs[l]
				cost += costs[l]
			}
			return
		}
		alice := []string{"c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"}
		n, conn, dur, cost := monthCost(alice...)
		month := fmt.Sprintf("calls=%d, connected=%d, duration=%d, cost=%s", n, conn, dur, strconv.FormatFloat(float64(int64(cost*10000+0.5))/10000, 'f', -1, 64))

		t.Run("enduser today call count,duration: days=today&by=all", func(t *testing.T) {
			wantOK(t, f.as("alice", "cdr", "days", "today", "by", "all"), "OK: calls=2, connected=1, duration=60, cost=0.1")
		})
		t.Run("enduser this month costs: days=thismonth&by=all", func(t *testing.T) {
			res := f.as("alice", "cdr", "days", "thismonth", "by", "all")
			if res.Text != "OK: "+month {
				t.Fatalf("%q, want %q", res.Text, "OK: "+month)
			}
		})
		t.Run("admin todayprofit: days=today&by=all&fields=all", func(t *testing.T) {
			res := f.as("root", "cdr", "days", "today", "by", "all", "fields", "all")
			if want := "OK: calls=3, connected=2, duration=160, cost=1.1, providercost=0.54, profit=0.56"; res.Text != want {
				t.Fatalf("%q, want %q", res.Text, want)
			}
			if p := column(t, res, "profit"); p[0] != "0.56" {
				t.Fatalf("profit column %v", p)
			}
		})
		for _, tc := range []struct {
			name, user string
			kv         []string
			want       string
		}{
			{"enduser today call list: days=today", "alice", []string{"days", "today"}, "c1,c2"},
			{"enduser last 7 days call list: days=lastweek", "alice", []string{"days", "lastweek"}, "c1,c2,c3,c4"},
			{"enduser last 30 days call list: days=lastmonth", "alice", []string{"days", "lastmonth"}, "c1,c2,c3,c4,c5,c6"},
			{"admin list last 10 day calls from user id 123 to prefix 40: days=10&caller=123&prefix=40", "root", []string{"days", "10", "caller", f.u123, "prefix", "40"}, "c10"},
			{"enduser missed calls: days=lastweek&dir=in&type=notconnected", "alice", []string{"days", "lastweek", "dir", "in", "type", "notconnected"}, "c4"},
			{"maxcount=1000&days=365&dir=all&type=all&fields=all", "root", []string{"maxcount", "1000", "days", "365", "dir", "all", "type", "all", "fields", "all"}, "c1,c9,c2,c3,c4,c10,c11,c5,c12,c6,c7"},
			{"fields=all", "root", []string{"fields", "all"}, "c1,c9,c2,c3,c4,c10,c11,c5,c12,c6,c7,c8"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if got := f.labels(t, tc.user, tc.kv...); got != tc.want {
					t.Fatalf("got %s, want %s", got, tc.want)
				}
			})
		}
		t.Run("enduser this month call list with summary: days=thismonth&summary=yes", func(t *testing.T) {
			res := f.as("alice", "cdr", "days", "thismonth", "summary", "yes")
			want := fmt.Sprintf("OK: %d calls; summary: %s", n, month)
			if res.Text != want || len(res.Rows) != n {
				t.Fatalf("%q with %d rows, want %q", res.Text, len(res.Rows), want)
			}
		})
	})
}
