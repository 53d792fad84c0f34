package builtin

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// cdrFilter is the parsed CDR selection shared by cdr and voicerecdownload:
// the reference's filters (days, dir, type, caller, called, prefix, ...)
// plus the recording filters (cdrid, callid, userid, parentuserid, fromdt,
// todt). Dates are UTC.
type cdrFilter struct {
	From, To       time.Time // zero: unbounded; To is exclusive
	Caller, Called string
	Prefix         string
	Dir            string // all, in, out
	Type           string // all, connected, notconnected
	MaxCount       int
	Fields         string // min, normal, all
	Summary        bool
	By             string // "" (a list), all, day, caller, called
	Order          string // date, caller, called, user
	CDRID          int64
	CallID         string
	UserID         int64
	ParentUserID   int64
}

// maxCDRCount bounds maxcount.
const maxCDRCount = 10000

var (
	prefixRE  = regexp.MustCompile(`^\+?[0-9]{1,20}$`)
	dateForms = []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02T15:04:05Z07:00", "2006-01-02 15:04", "2006-01-02"}
)

// parseCDRFilter reads the filter parameters (get returns "" for absent
// ones) with defaultMax as maxcount's default. Every bad value is an error
// naming the parameter and what it accepts.
func parseCDRFilter(get func(string) string, now time.Time, defaultMax int) (cdrFilter, error) {
	now = now.UTC()
	f := cdrFilter{Dir: "all", Type: "all", Fields: "normal", Order: "date", MaxCount: defaultMax}
	v := func(name string) string { return strings.ToLower(strings.TrimSpace(get(name))) }
	var err error
	if f.From, f.To, err = parseDays(v("days"), now); err != nil {
		return f, err
	}
	for _, d := range []struct {
		name string
		dst  *time.Time
		end  bool
	}{{"fromdt", &f.From, false}, {"todt", &f.To, true}} {
		s := strings.TrimSpace(get(d.name))
		if s == "" {
			continue
		}
		t, dateOnly, err := parseDate(s)
		if err != nil {
			return f, fmt.Errorf("bad %s %q: use YYYY-MM-DD or YYYY-MM-DD hh:mm:ss (UTC)", d.name, clip20(s))
		}
		if d.end && dateOnly {
			t = t.AddDate(0, 0, 1) // todt=2024-05-31 includes that day
		}
		if d.end && (d.dst.IsZero() || t.Before(*d.dst)) || !d.end && t.After(*d.dst) {
			*d.dst = t
		}
	}
	if s := v("maxcount"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxCDRCount {
			return f, fmt.Errorf("bad maxcount %q: use 1 to %d", clip20(s), maxCDRCount)
		}
		f.MaxCount = n
	}
	choices := []struct {
		name    string
		dst     *string
		allowed []string
	}{
		{"dir", &f.Dir, []string{"all", "in", "out"}},
		{"type", &f.Type, []string{"all", "connected", "notconnected"}},
		{"fields", &f.Fields, []string{"min", "normal", "all"}},
		{"by", &f.By, []string{"all", "day", "caller", "called"}},
		{"order", &f.Order, []string{"date", "caller", "called", "user"}},
	}
	for _, ch := range choices {
		s := v(ch.name)
		if s == "" {
			continue
		}
		if s == "datum" && ch.name == "order" {
			s = "date"
		}
		if !contains(ch.allowed, s) {
			return f, fmt.Errorf("bad %s %q: use %s", ch.name, clip20(s), strings.Join(ch.allowed, ", "))
		}
		*ch.dst = s
	}
	switch s := v("summary"); s {
	case "", "no", "0", "false":
	case "yes", "1", "true":
		f.Summary = true
	default:
		return f, fmt.Errorf("bad summary %q: use yes or no", clip20(s))
	}
	if f.Prefix = strings.TrimSpace(get("prefix")); f.Prefix != "" && !prefixRE.MatchString(f.Prefix) {
		return f, fmt.Errorf("bad prefix %q: digits, optionally starting with +", clip20(f.Prefix))
	}
	for _, t := range []struct {
		name string
		dst  *string
	}{{"caller", &f.Caller}, {"called", &f.Called}, {"callid", &f.CallID}} {
		s := strings.TrimSpace(get(t.name))
		if len(s) > 256 || strings.ContainsAny(s, "\x00\r\n") {
			return f, fmt.Errorf("bad %s: at most 256 characters on one line", t.name)
		}
		*t.dst = s
	}
	for _, n := range []struct {
		name string
		dst  *int64
	}{{"cdrid", &f.CDRID}, {"userid", &f.UserID}, {"parentuserid", &f.ParentUserID}} {
		s := strings.TrimSpace(get(n.name))
		if s == "" {
			continue
		}
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return f, fmt.Errorf("bad %s %q: a positive id", n.name, clip20(s))
		}
		*n.dst = id
	}
	return f, nil
}

// parseDays turns days=today/yesterday/lastweek/lastmonth/thismonth/N into
// a time range ending now (To zero) or at a day boundary.
func parseDays(s string, now time.Time) (from, to time.Time, err error) {
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	switch s {
	case "", "all":
		return
	case "today":
		return midnight, to, nil
	case "yesterday":
		return midnight.AddDate(0, 0, -1), midnight, nil
	case "lastweek":
		return now.AddDate(0, 0, -7), to, nil
	case "lastmonth":
		return now.AddDate(0, 0, -30), to, nil
	case "thismonth":
		return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC), to, nil
	}
	n, perr := strconv.Atoi(s)
	if perr != nil || n < 1 || n > 3650 {
		return from, to, errors.New("bad days " + strconv.Quote(clip20(s)) + ": use today, yesterday, lastweek, lastmonth, thismonth or 1 to 3650 days")
	}
	return now.AddDate(0, 0, -n), to, nil
}

func parseDate(s string) (t time.Time, dateOnly bool, err error) {
	for _, layout := range dateForms {
		if t, err = time.Parse(layout, s); err == nil {
			return t.UTC(), layout == "2006-01-02", nil
		}
	}
	return t, false, err
}

func clip20(s string) string { return clipText(s, 20) }
