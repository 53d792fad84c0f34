package sqltemplate

// KeywordAt reports whether s[i:] starts with an mvapi keyword
// ([USERID], [USERNAME], [SPARAMn] or {name}) exactly as Compile
// recognises it and, if so, returns its Key and its length in bytes. It
// lets other scanners (the T-SQL translator) step over keywords whole.
func KeywordAt(s string, i int) (Key, int, bool) { return matchKeyword(s, i) }
