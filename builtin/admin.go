package builtin

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"mvapi/engine"
	"mvapi/engine/format"
)

func registerAdmin(reg *engine.Registry) {
	reg.Add(engine.Builtin{
		Name: "apireload", Access: engine.AdminAPI, Handler: apireload,
		Doc: "Recompile tb_api and swap the rule table in; on a bad row the old table stays.",
	})
	reg.Add(engine.Builtin{
		Name: "reload", Access: engine.AdminAPI, Handler: reload,
		Doc: "Re-read tb_globalconfig.",
	})
}

func apireload(ctx context.Context, c *engine.Call) (format.Result, error) {
	d, err := c.Engine.ReloadTable(ctx)
	var ce *engine.CompileError
	if errors.As(err, &ce) {
		return engine.Errorf("apireload failed, old table kept: %v", ce), nil
	}
	if err != nil {
		return format.Result{}, &engine.Error{Kind: engine.KindInternal, Message: "apireload failed, old table kept: internal error", Err: err}
	}
	if err := c.Engine.Announce(ctx, engine.ChangeAPI); err != nil {
		c.Engine.Logger().Error("apireload: other nodes not told", "err", err)
		return engine.Failf(engine.KindUnavailable, "apireload done here, but other nodes were not told: try again"), nil
	}
	return engine.OK("apireload: " + d.String()), nil
}

func reload(ctx context.Context, c *engine.Call) (format.Result, error) {
	if err := c.Engine.ReloadConfig(ctx); err != nil {
		return engine.Errorf("reload failed, old config kept: %v", err), nil
	}
	if err := c.Engine.Announce(ctx, engine.ChangeConfig); err != nil {
		c.Engine.Logger().Error("reload: other nodes not told", "err", err)
		return engine.Failf(engine.KindUnavailable, "config reloaded here, but other nodes were not told: try again"), nil
	}
	return engine.OK("config reloaded"), nil
}

func registerConsole(reg *engine.Registry) {
	support := engine.AdminAPI
	support.ReqUser = engine.LevelSupport
	reg.Add(engine.Builtin{
		Name: "help", Access: support, Handler: help,
		Doc: "The entries of the current rule table with their parameters.",
	})
	reg.Add(engine.Builtin{
		Name: "keepalive", Access: engine.PublicAPI, Handler: keepalive,
		Doc: "Keeps a connection alive: OK: keepalive.",
	})
}

func help(_ context.Context, c *engine.Call) (format.Result, error) {
	entries := c.Engine.Table().Entries()
	res := engine.OK(strconv.Itoa(len(entries)) + " entries")
	res.Columns = []string{"entry", "parameters", "access", "description"}
	for _, e := range entries {
		kind := "user"
		switch {
		case e.Access.ReqUser == engine.LevelPublic:
			kind = "public"
		case e.Access.ReqUser <= engine.LevelAdmins:
			kind = "admin"
		case e.Access.ReqUser <= engine.LevelSupport:
			kind = "support"
		}
		if e.Misconfigured { // answers every caller "not available"
			kind = "misconfigured"
		}
		if e.RowID != 0 {
			kind += ", tb_api id=" + strconv.FormatInt(e.RowID, 10)
		}
		res.Rows = append(res.Rows, []string{e.Name, strings.Join(e.Params, " "), kind, e.Description})
	}
	return res, nil
}

func keepalive(context.Context, *engine.Call) (format.Result, error) {
	return engine.OK("keepalive"), nil
}
