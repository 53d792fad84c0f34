package builtin

import (
	"context"
	"errors"

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

func apireload(ctx context.Context, c *engine.Call) format.Result {
	d, err := c.Engine.ReloadTable(ctx)
	var ce *engine.CompileError
	if errors.As(err, &ce) {
		return engine.Errorf("apireload failed, old table kept: %v", ce)
	}
	if err != nil {
		c.Engine.Logger().Error("apireload", "err", err)
		return engine.Errorf("apireload failed, old table kept: internal error")
	}
	if err := c.Engine.Announce(ctx, engine.ChangeAPI); err != nil {
		c.Engine.Logger().Error("apireload: other nodes not told", "err", err)
		return engine.Errorf("apireload done here, but other nodes were not told: try again")
	}
	return engine.OK("apireload: " + d.String())
}

func reload(ctx context.Context, c *engine.Call) format.Result {
	if err := c.Engine.ReloadConfig(ctx); err != nil {
		return engine.Errorf("reload failed, old config kept: %v", err)
	}
	if err := c.Engine.Announce(ctx, engine.ChangeConfig); err != nil {
		c.Engine.Logger().Error("reload: other nodes not told", "err", err)
		return engine.Errorf("config reloaded here, but other nodes were not told: try again")
	}
	return engine.OK("config reloaded")
}
