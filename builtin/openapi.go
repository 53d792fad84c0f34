package builtin

import (
	"context"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/internal/openapi"
)

// The OpenAPI document of the live rule table (internal/openapi), served
// at /mvapireq/openapi.json (the HTTP transport maps that path to this
// entry) or as apientry=openapi. Public: anyone gets the entries an end
// user may call; an admin (credentials, or a trusted IP acting as admin)
// gets every enabled entry.
func registerOpenAPI(reg *engine.Registry) {
	reg.Add(engine.Builtin{
		Name: "openapi", Access: engine.PublicAPI, Handler: openAPIDoc,
		Doc: "OpenAPI 3.1 document (JSON) of the rule table in force; admin entries only for admins.",
	})
}

func openAPIDoc(ctx context.Context, c *engine.Call) (format.Result, error) {
	aud := openapi.Public
	admin, err := c.Engine.AdminCaller(ctx, c)
	if err != nil {
		return format.Result{}, err
	}
	if admin {
		aud = openapi.Admin
	}
	doc := openapi.Document(c.Engine.Table(), c.Engine.Version(), aud)
	return format.Result{OK: true, Text: "OK: openapi.json", File: &format.File{Name: "openapi.json", ContentType: "application/json", Data: doc}}, nil
}
