// Package builtin holds the Go handlers of the built-in API entries and
// registers them into the engine's registry, one file per area.
package builtin

import (
	"strconv"

	"mvapi/engine"
)

// Register adds every built-in entry to reg.
func Register(reg *engine.Registry) {
	registerBasic(reg)
	registerMoney(reg)
	registerUser(reg)
	registerAdmin(reg)
	registerConsole(reg)
	registerMaint(reg)
	registerAccount(reg)
	registerRecovery(reg)
	registerProfile(reg)
	registerCredit(reg)
	registerCallRating(reg)
	registerCCCharge(reg)
	registerPresence(reg)
	registerIM(reg)
	registerNumbers(reg)
	registerCalls(reg)
	registerCDR(reg)
	registerRecordings(reg)
	registerMessaging(reg)
	registerAdminDiag(reg)
	registerAdminRuntime(reg)
	registerAdminLists(reg)
	registerAdminLog(reg)
	registerAdminUsers(reg)
	registerAdminServer(reg)
	registerAdminDB(reg)
	registerAdminBanned(reg)
	registerAdminReset(reg)
	registerAdminBackup(reg)
	registerAdminFiles(reg)
	registerAdminIni(reg)
	registerAdminSwitch(reg)
	registerRegistrar(reg)
	markUserReaders(reg)
	registerOpenAPI(reg)
	markAudit(reg)
}

// money renders an amount without trailing zeros, rounded to 4 decimals.
func money(v float64) string {
	return strconv.FormatFloat(roundTo(v, 4), 'f', -1, 64)
}

// appendMoney appends money(v) to b.
func appendMoney(b []byte, v float64) []byte {
	return strconv.AppendFloat(b, roundTo(v, 4), 'f', -1, 64)
}

func roundTo(v float64, places int) float64 {
	p := 1.0
	for range places {
		p *= 10
	}
	if v < 0 {
		return -float64(int64(-v*p+0.5)) / p
	}
	return float64(int64(v*p+0.5)) / p
}
