package tsql

import (
	"strings"
	"sync"
)

// unchanged reports whether the full translation of src for target in
// mode is src itself, without an error, judging from the tokens alone
// (one pass, no allocation). It answers false whenever it is not sure;
// Translate then runs the full translator. FuzzUnchanged checks that a
// true answer is always the full translator's answer.
//
// Why a true answer is exact: the full translator rewrites a statement,
// or refuses it, only where one of the tokens refused below takes part;
// with none of them, every level's output is the concatenation of its
// tokens' text (translate.go level and elems, expr.go, stmt.go):
//
//   - a lex error or an unbalanced parenthesis is an error: refused;
//   - N'...' loses its N; a [bracket] identifier becomes "quoted" on
//     PostgreSQL (and on SQLite when it holds ]]); @variables are
//     translated or refused; –, !< and !> are rewritten; # before a word
//     is a temporary table; a keyword right after . is refused;
//   - a word of funcs or refused followed by ( is a translated or refused
//     call; a table hint (a word of hintWords) is dropped; TOP becomes
//     LIMIT; CURRENT_TIMESTAMP is a datetime; DECLARE, APPLY, EXEC and
//     EXECUTE are refused, and so is INTO unless it follows INSERT (the
//     only place where SELECT ... INTO cannot be meant);
//   - + may become || (strings) or a date addition; - is a date
//     subtraction only beside a datetime, and with none of the above no
//     expression is a datetime but, in tsql mode, a known datetime column,
//     so - is refused there; in auto mode - is kept but before a keyword
//     on PostgreSQL (-[SPARAM1] takes a CAST);
//   - a word with a byte above 0x7f may fold to one of these words
//     (strings.ToUpper("ſelect") is "SELECT"): refused.
func unchanged(src string, target Target, mode Mode) bool {
	words := fastWords()
	ok := true
	depth := 0
	call := false // the last token but blanks was a word of funcs or refused
	var prev token
	refuse := func() bool { ok = false; return false }
	err := scan(src, func(t token) bool {
		if t.kind == tSpace {
			return true
		}
		if call && t.kind == tOpen {
			return refuse()
		}
		call = false
		switch t.kind {
		case tOpen:
			depth++
		case tClose:
			if depth == 0 {
				return refuse()
			}
			depth--
		case tStr:
			if t.text[0] == 'N' || t.text[0] == 'n' {
				return refuse()
			}
		case tBracket:
			if target != SQLite || strings.Contains(t.text, "]]") {
				return refuse()
			}
		case tVar:
			return refuse()
		case tKey:
			if prev.kind == tOp && (prev.text == "." || prev.text == "-" && target == Postgres) {
				return refuse()
			}
		case tOp:
			switch t.text {
			case "+", "–", "!<", "!>", "#":
				return refuse()
			case "-":
				if mode != Auto {
					return refuse()
				}
			}
		case tWord:
			var buf [24]byte
			w, ascii := upperASCII(buf[:0], t.text)
			if !ascii {
				return refuse()
			}
			if len(w) > 0 && len(w) <= len(buf) {
				switch words[string(w)] {
				case fastStop:
					return refuse()
				case fastInto:
					if !(prev.kind == tWord && strings.EqualFold(prev.text, "INSERT")) {
						return refuse()
					}
				case fastCall:
					call = true
				}
			}
		}
		prev = t
		return true
	})
	return err == nil && ok && depth == 0
}

// stopWords make unchanged answer false wherever they stand.
var stopWords = setOf("TOP", "CURRENT_TIMESTAMP", "DECLARE", "APPLY", "EXEC", "EXECUTE")

// What a word is to unchanged, in one lookup: a stop word or a table
// hint (fastStop), INTO (fastInto), the name of a translated or refused
// function (fastCall), or nothing of interest (0).
const (
	fastStop = iota + 1
	fastInto
	fastCall
)

// fastWords is built on first use: funcs is filled by an init function,
// after package variables are initialised.
var fastWords = sync.OnceValue(func() map[string]int {
	m := map[string]int{}
	for w := range funcs {
		m[w] = fastCall
	}
	for w := range refused {
		m[w] = fastCall
	}
	m["INTO"] = fastInto
	for _, set := range []map[string]bool{stopWords, hintWords} {
		for w := range set {
			m[w] = fastStop
		}
	}
	return m
})

// upperASCII appends the upper case of s to buf when s is at most
// len(buf)'s capacity long (else it returns buf empty: no word of
// interest is that long); ascii is false when s has a byte above 0x7f.
func upperASCII(buf []byte, s string) (w []byte, ascii bool) {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return nil, false
		}
	}
	if len(s) > cap(buf) {
		return buf, true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return buf, true
}
