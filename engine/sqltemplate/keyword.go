package sqltemplate

import "strings"

// maxBracketKeyword is the length of the longest bracket keyword name
// ("USERNAME"); it bounds the search for the closing ']'.
const maxBracketKeyword = len("USERNAME")

// matchKeyword reports whether s[i:] starts with a keyword and, if so,
// returns its Key and its length in bytes.
func matchKeyword(s string, i int) (Key, int, bool) {
	switch at(s, i) {
	case '[':
		rest := s[i+1 : min(len(s), i+2+maxBracketKeyword)]
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return Key{}, 0, false
		}
		name := rest[:end]
		switch {
		case equalFold(name, "USERID"):
			return Key{Kind: UserID}, end + 2, true
		case equalFold(name, "USERNAME"):
			return Key{Kind: UserName}, end + 2, true
		case len(name) > 6 && equalFold(name[:6], "SPARAM") && validSParam(name[6:]):
			return Key{Kind: SParam, Name: "sparam" + name[6:]}, end + 2, true
		}
	case '{':
		j := i + 1
		if !isFieldStart(at(s, j)) {
			return Key{}, 0, false
		}
		for j < len(s) && isFieldChar(s[j]) {
			j++
		}
		if at(s, j) == ':' && equalFold(s[i+1:j], "param") { // {param:name}
			k := j + 1
			if !isFieldStart(at(s, k)) {
				return Key{}, 0, false
			}
			for k < len(s) && isFieldChar(s[k]) {
				k++
			}
			if at(s, k) != '}' {
				return Key{}, 0, false
			}
			return Key{Kind: Param, Name: strings.ToLower(s[j+1 : k])}, k + 1 - i, true
		}
		if at(s, j) != '}' {
			return Key{}, 0, false
		}
		return Key{Kind: Field, Name: strings.ToLower(s[i+1 : j])}, j + 1 - i, true
	}
	return Key{}, 0, false
}

// validSParam reports whether n is a number from 1 to 99 without a
// leading zero.
func validSParam(n string) bool {
	if len(n) == 0 || len(n) > 2 || n[0] == '0' {
		return false
	}
	for i := 0; i < len(n); i++ {
		if !isDigit(n[i]) {
			return false
		}
	}
	return true
}

// rowKeywords are the leading keywords of statements that produce rows.
var rowKeywords = []string{
	"SELECT", "WITH", "VALUES", "PRAGMA", "SHOW",
	"EXPLAIN", "EXEC", "EXECUTE", "CALL", "DESCRIBE",
}

// isRowKeyword reports whether w is one of rowKeywords.
// readKeywords start a statement that may only read (Template.ReadOnly).
var readKeywords = [...]string{"SELECT", "WITH", "VALUES"}

func isReadKeyword(w string) bool {
	for _, k := range readKeywords {
		if equalFold(w, k) {
			return true
		}
	}
	return false
}

// writeWords make a statement one that writes or runs code
// (Template.ReadOnly); FOR UPDATE, a locking read, counts as a write.
var writeWords = [...]string{"INSERT", "UPDATE", "DELETE", "MERGE", "INTO", "CREATE", "DROP", "ALTER",
	"TRUNCATE", "GRANT", "REVOKE", "EXEC", "EXECUTE", "CALL", "COPY", "LOCK", "DECLARE", "SET"}

func isWriteWord(w string) bool {
	for _, k := range writeWords {
		if equalFold(w, k) {
			return true
		}
	}
	return false
}

func isRowKeyword(w string) bool {
	for _, k := range rowKeywords {
		if equalFold(w, k) {
			return true
		}
	}
	return false
}

// equalFold is an ASCII-only strings.EqualFold: Unicode folding would let
// "ſ" (U+017F) or "K" (U+212A) spell a keyword.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

// hasPrefixFold is an ASCII case-insensitive strings.HasPrefix.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && equalFold(s[:len(prefix)], prefix)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isLetter(c byte) bool { return 'a' <= lower(c) && lower(c) <= 'z' }

// isFieldStart and isFieldChar define {name}: [A-Za-z_][A-Za-z0-9_]*.
func isFieldStart(c byte) bool { return isLetter(c) || c == '_' }
func isFieldChar(c byte) bool  { return isFieldStart(c) || isDigit(c) }

// isWordStart and isWordChar define the SQL words the scanner steps over
// as a whole (keywords, identifiers; '$' may follow the first character as
// in PostgreSQL). Bytes of multi-byte UTF-8 runes count as letters.
func isWordStart(c byte) bool { return isFieldStart(c) || c >= 0x80 }
func isWordChar(c byte) bool  { return isWordStart(c) || isDigit(c) || c == '$' }

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// skipSpace returns the index of the first non-space byte of s at or after i.
func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

// trimSpace trims ASCII whitespace only (the databases do not treat other
// Unicode spaces as blanks).
func trimSpace(s string) string { return strings.Trim(s, " \t\n\r\f\v") }

// at returns s[i], or 0 when i is out of range.
func at(s string, i int) byte {
	if i < 0 || i >= len(s) {
		return 0
	}
	return s[i]
}
