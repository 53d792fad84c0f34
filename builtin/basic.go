package builtin

import (
	"context"

	"mvapi/engine"
	"mvapi/engine/format"
)

func registerBasic(reg *engine.Registry) {
	for _, name := range []string{"apitest1", "apitest"} {
		reg.Add(engine.Builtin{
			Name: name, Access: engine.PublicAPI, Params: []string{"txt"}, Handler: apitest,
			Doc: "API test without authentication: answers OK: MESSAGE (CLIENT_IP).",
		})
	}
	reg.Add(engine.Builtin{
		Name: "version", Access: engine.AdminAPI, Handler: version,
		Doc: "Software version.",
	})
	reg.Add(engine.Builtin{
		Name: "preauth", Access: engine.PublicAPI, Handler: preauth,
		Doc: "Hands out a nonce for nonce authentication: OK: new nonce is:NONCEEOF.",
	})
}

func apitest(_ context.Context, c *engine.Call) (format.Result, error) {
	msg := c.Param("txt")
	if msg == "" {
		msg = "API test"
	}
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return engine.OK(msg + " (" + c.Req.RemoteIP.String() + ")"), nil
}

func version(_ context.Context, c *engine.Call) (format.Result, error) {
	return engine.OK("mvapi " + c.Engine.Version()), nil
}

func preauth(ctx context.Context, c *engine.Call) (format.Result, error) {
	n, err := c.Engine.NewIssuedNonce(ctx, c.Req.RemoteIP)
	if err != nil {
		return format.Result{}, err
	}
	return engine.OK("new nonce is:" + n + "EOF"), nil
}
