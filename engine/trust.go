package engine

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// Trust (issue 10): which global config options are security options,
// which of them are read once at start, and the per-user side of the
// lockout for guessed secrets that are not passwords (recharge PINs).

// securityOptions is the one list of global config options that decide
// who is trusted, what a caller may run or read, where files live and
// where secrets go. Changing one needs an admin who proved a password in
// the request (Call.VerifiedAdmin) wherever it is changed through the API
// (setfield table=tb_globalconfig, db); setini and loadinifiles never
// change them: they come from --set, MVAPI_<NAME> or tb_globalconfig
// written by a DBA. A name added here that is not registered fails
// TestSecurityOptionsAreRegistered.
var securityOptions = fieldList(`apiv2key,apiv2md5salt,apiv2ipauth,trustediplist,trustlanip,allowtrustedip,
apitrustediponly,apideftrustadmin,apialtauth,apiv2auth,apidefneedlogin,apidefneedregister,httpapiencryptkey,
enablejsonp,adminport,remoteadmin,apitrustfromconsole,authlockoutfailures,authlockoutwindow,authlockouttime,
sslportmain,tlscertfile,tlskeyfile,tcpport,udpport,udptrust,mainaport,usemainaport,
serverdir,filestoragedir,backupdir,recordingsfolder,faxfolder,inifile,
allowcmdaction,cmdtimeout,rebootcommand,restartmode,
ccgatewayurl,ccgatewaykey,smsgatewayurl,smsgatewayauth,smtphost,smtpport,smtpuser,smtppassword,smtptls,
customsqlworkers,customsqlqueue,httphostnames,maxconnections,maxconnectionsperip,preauthrate,preauthburst,maxnoncesperip,
ratelimitip,ratelimitipburst,ratelimituser,ratelimituserburst,ratelimitentries,ratelimitglobal,ratelimitglobalburst,ratelimittrusted,
webportalkey,webconsole`)

// startupOptions are read once, when the engine starts: a reload of
// tb_globalconfig (reload, loadinifiles, dbrestore, another node's
// change) keeps the values in force at start, so that no request can move
// a file folder. A new value takes effect at the next start.
var startupOptions = fieldList(`serverdir,filestoragedir,backupdir,recordingsfolder,faxfolder`)

func fieldList(s string) map[string]bool {
	m := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			m[f] = true
		}
	}
	return m
}

// IsSecurityOption reports whether name is a security option (see
// securityOptions): it changes only with a proved admin password, and
// never through setini or loadinifiles.
func IsSecurityOption(name string) bool {
	return securityOptions[strings.ToLower(strings.TrimSpace(name))]
}

// IsStartupOption reports whether name is read only at start (the file
// folders).
func IsStartupOption(name string) bool {
	return startupOptions[strings.ToLower(strings.TrimSpace(name))]
}

// SecurityOptionNames lists the security options, for tests and docs.
func SecurityOptionNames() []string {
	out := make([]string, 0, len(securityOptions))
	for n := range securityOptions {
		out = append(out, n)
	}
	return out
}

// keepStartup returns c with the startup options of start: a reloaded
// config never moves a folder. The names whose stored value differs are
// returned, for the log.
func (c *Config) keepStartup(start *Config) (*Config, []string) {
	if start == nil {
		return c, nil
	}
	var changed []string
	for n := range startupOptions {
		if c.values[n] != start.values[n] {
			changed = append(changed, n)
			c.values[n] = start.values[n]
		}
	}
	return c, changed
}

// UserLimiter is the optional per-user side of a Limiter: a secret that
// an authenticated user guesses (a recharge PIN) counts against that user
// as well as against the IP, so that guesses relayed by a trusted portal
// (whose IP is never locked) still stop. Lockout implements it.
type UserLimiter interface {
	// UserAllowed returns an error while the user is locked.
	UserAllowed(u *User) error
	// UserFailed records a failed guess of the user.
	UserFailed(u *User)
}

// guessFailed records a wrong secret guessed inside an entry (a recharge
// PIN): it counts towards the lockout of the request's IP, like a failed
// password, and of the acting user. Handlers do not call it: Serve does
// for every answer of KindAuth a handler gives.
func (e *Engine) guessFailed(c *Call) {
	e.limiter.AuthFailed(c.Req)
	if ul, ok := e.limiter.(UserLimiter); ok && c.User != nil {
		ul.UserFailed(c.User)
	}
}

// userAllowed refuses a user locked after failed guesses.
func (e *Engine) userAllowed(c *Call) error {
	ul, ok := e.limiter.(UserLimiter)
	if !ok || c.User == nil {
		return nil
	}
	if err := ul.UserAllowed(c.User); err != nil {
		return &Error{Kind: KindDenied, Message: err.Error()}
	}
	return nil
}

// decoyUser stands in for an unknown authid, so that an unknown user goes
// through the same checks (nonce challenge, missing secret) and gets the
// same answers as a known one. Its secrets are random and never match; it
// never authenticates.
var decoyUser = func() *User {
	b := make([]byte, 24)
	rand.Read(b)
	return &User{ID: -1, Username: "\x00decoy", Password: hex.EncodeToString(b), Enabled: 1}
}()
