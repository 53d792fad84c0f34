package builtin

import (
	"context"
	"net/netip"
	"net/url"
	"regexp"
	"strings"

	"mvapi/engine"
	"mvapi/engine/format"
)

// Entries of the reference that live in the SIP switch's memory or the
// host's administration. mvapi carries no SIP or RTP: those it can hand to
// the switch become rows of the switch request queue (tb_switchrequests,
// calls.go): unreg and disccall. The others are known entries that answer
// "ERROR: not supported: NAME", so a client learns the truth instead of
// "unknown apientry". reguser and regstat read tb_users (registrar.go). cmd runs a program only when allowcmdaction=1.

// switchOnly are the reference's admin entries without meaning outside the
// switch (or the Windows host it runs on), with why where it helps.
var switchOnly = map[string]string{
	"fastregusers": "", "endpoints": "", "epreg": "", "routingtest": "",
	"gencdr": "", "fs": "", "tunnelinfo": "", "tunnelinfoex": "", "tunnellist": "", "call": "", "file": "",
	"sendamsg": "", "voicehere": "", "voicehere2": "", "gk": "", "client": "", "setip": "", "timezoneset": "",
	"vsiprst": "", "sipreset": "", "ftprst": "", "webrst": "", "resetp": "", "gwrst": "", "dbrsttgs": "",
	"reloaddialplan": "", "reloadapikeys": "", "reloadnumdircache": "", "rebill": "", "reindexncache": "",
	"calcncache": "", "clearnccache": "", "upgradeall": "", "dbfailover": "", "predectivet": "", "syncmedia": "",
	"stopcanner": "", "checkscanner": "", "finetune": "", "normalizechk": "", "delobj": "", "unittest": "",
	"toclient": "", "togw": "", "toip": "", "at": "", "updcdrdir": "", "createcdrinfo": "", "setfastregpwd": "",
	"newuserevent": "", "newusersevent": "", "checkcredits": "", "checkpins": "", "capcheck": "",
	"parsegsmcdr": "", "willstop": "", "checkmails": "", "smsreceive": "",
	"wsuser":  "WebRTC user provisioning is not documented by the reference",
	"tbackup": "a backup to a second server: use your database's replication; dbbackup makes a local backup",
	"backup":  "a backup to a second server: use your database's replication; dbbackup makes a local backup",
}

func registerAdminSwitch(reg *engine.Registry) {
	for name, why := range switchOnly {
		reg.Add(engine.Builtin{
			Name: name, Access: engine.AdminAPI, Handler: viaSwitch(name, notSupported(name, why)),
			Doc: "Not supported: needs the SIP switch's memory. Answers ERROR: not supported: " + name + ".",
		})
	}
	reg.Add(engine.Builtin{
		Name: "unreg", Access: engine.AdminAPI, Params: []string{"username", "ip", "mode"}, Handler: unreg,
		Doc: "Queue an unregistration for the switch: username (or all), ip, mode=1 to remove instead of unregister.",
	})
	reg.Add(engine.Builtin{
		Name: "disccall", Access: engine.AdminAPI, Params: []string{"dbcallid"}, Handler: discCall,
		Doc: "Queue the disconnection of a call (dbcallid) for the switch.",
	})
	reg.Add(engine.Builtin{
		Name: "cmd", Access: engine.SensitiveAPI, Params: []string{"txt"}, Handler: cmdEntry,
		Doc: "Run a program (no shell) when allowcmdaction=1; authenticated admin users only; output goes to the log.",
	})
}

func notSupported(name, why string) engine.Handler {
	return func(context.Context, *engine.Call) (format.Result, error) {
		if why != "" {
			return engine.Failf(engine.KindNotSupported, "not supported: %s (%s)", name, why), nil
		}
		return engine.Failf(engine.KindNotSupported, "not supported: %s", name), nil
	}
}

// switchTokenRE is what unreg and disccall pass on to the switch.
var switchTokenRE = regexp.MustCompile(`^[A-Za-z0-9_.@+\-]{1,64}$`)

func unreg(ctx context.Context, c *engine.Call) (format.Result, error) {
	user := strings.TrimSpace(firstParam(c, "username", "usr"))
	if user == "" {
		return engine.Errorf("missing parameter: username (or all)"), nil
	}
	if !switchTokenRE.MatchString(user) {
		return engine.Errorf("bad username %q", clipText(user, 40)), nil
	}
	opts := url.Values{}
	if ip := strings.TrimSpace(c.Param("ip")); ip != "" {
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return engine.Errorf("bad ip %q: an IP address", clipText(ip, 48)), nil
		}
		opts.Set("ip", a.String())
	}
	switch mode := strings.TrimSpace(c.Param("mode")); mode {
	case "", "0":
	case "1":
		opts.Set("mode", "1")
	default:
		return engine.Errorf("bad mode %q: 0 unregister, 1 remove", clipText(mode, 8)), nil
	}
	if res, ok, err := switchUnreg(ctx, c, user, opts.Get("ip")); ok {
		return res, err
	}
	return enqueue(ctx, c, switchRequest{Kind: "unreg", Anum: user, Options: opts.Encode()})
}

func discCall(ctx context.Context, c *engine.Call) (format.Result, error) {
	id := strings.TrimSpace(c.Param("dbcallid"))
	if id == "" {
		return engine.Errorf("missing parameter: dbcallid (the call to disconnect)"), nil
	}
	if !switchTokenRE.MatchString(id) {
		return engine.Errorf("bad dbcallid %q", clipText(id, 40)), nil
	}
	return enqueue(ctx, c, switchRequest{Kind: "disccall", Options: url.Values{"dbcallid": {id}}.Encode()})
}

// cmdEntry runs one program through the command runner of custom_action 7
// (no shell, bounded time, output to the log).
func cmdEntry(ctx context.Context, c *engine.Call) (format.Result, error) {
	if c.Config.Int("allowcmdaction") != 1 {
		return engine.Failf(engine.KindNotSupported, "not supported: cmd (commands are off: set allowcmdaction=1 in global config)"), nil
	}
	if !c.VerifiedAdmin() {
		return engine.Failf(engine.KindDenied, "access denied: cmd needs an authenticated admin user (authid with authpwd or authmd5)"), nil
	}
	kind, ok := c.Engine.ActionKind(7)
	if !ok {
		return engine.Failf(engine.KindNotSupported, "not supported: cmd (this server has no command runner)"), nil
	}
	line := strings.TrimSpace(firstParam(c, "txt", "cmd"))
	if line == "" {
		return engine.Errorf("missing parameter: txt (the command line)"), nil
	}
	act, err := kind.Compile(line, c.DB().Dialect, c.Config)
	if err != nil {
		return engine.Errorf("cmd: %v", err), nil
	}
	c.Engine.Logger().Info("cmd", "user", c.User.Username)
	if err := act.Run(ctx, c, engine.OK("cmd")); err != nil {
		return engine.Errorf("cmd failed: %v", err), nil
	}
	return engine.OK("command done (its output is in the server log: showlog)"), nil
}
