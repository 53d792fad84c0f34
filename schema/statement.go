package schema

// Statement returns a builder of the statement q, written once with `?`
// placeholders, for a dialect. The text is rebound for every dialect when
// Statement is called (at package init, as in
//
//	var creditOfSQL = schema.Statement("SELECT credit FROM tb_users WHERE id = ?")
//
// ), so a call is an index into an array: no rebinding, no lock.
func Statement(q string) func(Dialect) string {
	return StatementFunc(func(d Dialect) string { return d.Rebind(q) })
}

// StatementFunc returns a builder that gives what build returns for a
// dialect, with build called once per dialect when StatementFunc is
// called. It is for statements that need more of the dialect than
// Rebind (Top, Limit, ReturningID, ...); build must depend on nothing but
// its argument. The zero Dialect (only a test makes one) is built on every
// call.
func StatementFunc(build func(Dialect) string) func(Dialect) string {
	var texts [len(dialects)]string
	for _, d := range dialects[1:] {
		texts[d.id] = build(d)
	}
	return func(d Dialect) string {
		if d.id > 0 && d.id < len(texts) {
			return texts[d.id]
		}
		return build(d)
	}
}
