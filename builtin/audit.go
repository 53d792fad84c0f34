package builtin

import "mvapi/engine"

// markAudit says which built-ins are admin changes written to tb_auditlog
// (engine/audit.go writes the rows, after the handler, in one place).
func markAudit(reg *engine.Registry) {
	reg.MarkAudit(engine.AuditAlways,
		"db", "dbrestore", "dbreset", "dbbackup", "backupdb",
		"changepwd", "addcredit", "transfercredit",
		"setini", "savesettings", "saveinifiles", "loadinifiles", "putfile", "pputfile",
		"apireload", "reload", "rulesreload", "maintreset", "restart",
		"newuser", "newuseri", "adduser", "addserver", "deluser", "delbanned", "cmd", "disccall")
	// setfield and getfield are audited when they act on another user or a
	// table, or run with admin rights: a user changing their own profile
	// is not an admin change.
	reg.MarkAudit(engine.AuditAdmin, "setfield", "getfield")
}
