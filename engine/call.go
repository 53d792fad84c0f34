package engine

import "mvapi/schema"

// Call is one authorised request as a handler sees it.
type Call struct {
	Engine *Engine
	Entry  *Entry
	Req    *Request
	// User is the authenticated or identified caller; nil when none (a
	// trusted IP acting as admin, or a public entry without authid).
	User *User
	// Admin is true when the caller has admin rights.
	Admin bool
	// Trusted is true when the request came from a trusted IP.
	Trusted bool
	// Caller is the user who authenticated, before any targetuser.
	Caller *User
	// Verified is true when the caller proved a secret (authpwd, authmd5,
	// a PIN, or the console login), not only a trusted IP.
	Verified bool
	Config   *Config
	// actedInTx is set when the success action already ran in the
	// transaction of the entry's customsql write.
	actedInTx bool
	// auditedInTx is set when the handler wrote the audit row in its
	// transaction (AuditTx).
	auditedInTx bool
	// identified is the user authid named, once found, also when its
	// authentication failed afterwards (for failure actions only).
	identified *User
	// rc is the request's context (ServeSnapshot).
	rc reqCtx
	// usedReplica is the read replica ReadDB handed out; primaryOnly is
	// set once a read on it failed (runHandler, replica.go).
	usedReplica *replicaPool
	primaryOnly bool

	// user holds the user authid names, read by authenticate: User,
	// Caller and identified point here (one allocation less per request).
	user User
}

// VerifiedAdmin reports whether an admin proved its credentials in this
// request (entries such as db and cmd want more than a trusted IP).
func (c *Call) VerifiedAdmin() bool { return c.Verified && c.Caller.IsAdmin() }

// DB is the engine's database.
func (c *Call) DB() *schema.DB { return c.Engine.db }

// Param returns a request parameter ("" when absent).
func (c *Call) Param(name string) string { return c.Req.Params.Get(name) }

// lookupKey resolves a customsql or action keyword {name}: a name that is a
// user field (IsUserField: id, userid, username, email, credit, ...) is
// always the authenticated user's, absent without a user; a request
// parameter of the same name never replaces it (issue #10: &userid=1 read
// user 1's CDRs). Any other name is a request parameter; {param:name}
// (sqltemplate.Param) reaches a request parameter of any name.
func (c *Call) lookupKey(name string) (any, bool) {
	if IsUserField(name) {
		if c.User == nil {
			return nil, false
		}
		return c.User.Field(name)
	}
	v, ok := c.Req.Params[name]
	return v, ok
}

// IsUserField reports whether a {name} keyword names a field of the user
// (User.Field), which a request parameter never replaces.
func IsUserField(name string) bool {
	_, ok := (&User{}).Field(name)
	return ok
}

// Identified is the caller for an action's {username}: the User, else the
// user authid named once it was found, also when its authentication
// failed afterwards (a failure action); nil when neither.
func (c *Call) Identified() *User {
	if c.User != nil {
		return c.User
	}
	return c.identified
}
