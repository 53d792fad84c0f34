// Package sqltemplate compiles the customsql text that a DBA stores in
// tb_api into a parameterised query for one SQL dialect.
//
// A template is ordinary SQL with keywords (matched case-insensitively):
//
//	[USERID]               the id of the authenticated user
//	[USERNAME]             the name of the authenticated user
//	[SPARAM1]..[SPARAM99]  positional request parameters
//	{name}                 a field of the authenticated user, or a named
//	                       request parameter where no user field has
//	                       that name; name matches [A-Za-z_][A-Za-z0-9_]*
//	{param:name}           the named request parameter, always
//
// Every keyword becomes a bound placeholder of the dialect ("?", "$1" or
// "@p1"); a value taken from an HTTP request is never spliced into the SQL
// text. Template.Keys lists what each placeholder refers to and
// Template.Args turns a lookup function into the argument list.
//
// The compiler is a small SQL scanner, not a set of regular expressions:
//
//   - Any other [...] is a SQL Server bracket identifier and is copied
//     verbatim (brackets do not nest; "]]" is an escaped bracket).
//   - '...' string literals (a doubled quote escapes a quote) may hold
//     keywords. A literal that is exactly one keyword ('{email}') becomes
//     one placeholder; a literal that mixes text and keywords
//     ('%[SPARAM1]%') becomes a concatenation of quoted pieces and
//     placeholders built by Dialect.Concat. N'...', E'...' (backslash escapes) and U&'...' keep
//     their prefix on every quoted piece.
//   - "..." identifiers, -- and /* */ comments (not nested) and
//     PostgreSQL dollar-quoted strings ($$...$$, $tag$...$tag$) are copied
//     verbatim: keywords inside them are left alone.
//   - A placeholder of the dialect itself written in normal text ("?" for
//     SQLite, "$1" for PostgreSQL, "@p1" for SQL Server) is an error, so that
//     the placeholders and Keys can never get out of step.
//
// Several statements separated by ';' (outside literals, comments,
// parentheses and BEGIN ... END or CASE ... END blocks) are also compiled
// one by one: Template.Statements returns them, each with placeholders
// numbered from 1 and its own Keys, so that each can be executed with its
// own arguments (a text that DECLAREs T-SQL variables stays one batch).
//
// A template whose first non-blank character is '*' is marked Sync and the
// '*' is dropped. Template.ReturnsRows tells whether the statement is
// expected to produce a result set.
//
// Errors are prefixed with "customsql:" and give the byte offset in the
// source text, e.g. "customsql: unterminated string literal starting at
// byte 17".
package sqltemplate
