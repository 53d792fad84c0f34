// Package openapi builds the OpenAPI 3.1 document of the live rule table,
// served at /mvapireq/openapi.json (the openapi built-in). It is built from
// a snapshot's table lazily, once per table and audience, and cached until
// apireload or reload installs another table.
//
// Every entry is one path "/mvapireq/?apientry=NAME" (the API names the
// entry in the query, not in the path) with a GET operation: its
// parameters (the documented ones of a built-in, [SPARAMn] and {field} of a
// customsql row), its authentication needs (security requirements over
// the authkey, authid, authpwd and authmd5 query parameters) and its
// answer shapes (text, and json with rows for a customsql SELECT).
//
// Two audiences: an admin (admin credentials, or a trusted IP acting as
// admin) sees every enabled entry; anyone else sees only the entries an
// end user may call: no admin, support, disabled or allowed-IPs-only
// (req_ip=1) entry is listed for them.
package openapi

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"mvapi/engine"
	"mvapi/engine/sqltemplate"
)

// Audience selects what a document lists.
type Audience int

const (
	// Public lists what an end user may call.
	Public Audience = iota
	// Admin lists every enabled entry.
	Admin
)

// Listed reports whether e appears in the document for audience a.
func Listed(e *engine.Entry, a Audience) bool {
	if !e.Enabled || e.Access.ReqUser == engine.LevelDisabled {
		return false
	}
	if a == Admin {
		return true
	}
	return e.Access.ReqIP == 0 && e.Access.ReqUser > engine.LevelSupport
}

type cached struct {
	table *engine.Table
	docs  [2]atomic.Pointer[[]byte]
}

var cache atomic.Pointer[cached]

// Document returns the JSON document of table for audience a, built once
// per table pointer and audience.
func Document(table *engine.Table, version string, a Audience) []byte {
	c := cache.Load()
	if c == nil || c.table != table {
		c = &cached{table: table}
		cache.Store(c)
	}
	if b := c.docs[a].Load(); b != nil {
		return *b
	}
	b, _ := json.MarshalIndent(Build(table, version, a), "", " ")
	c.docs[a].Store(&b)
	return b
}

type obj = map[string]any

// Doc is the document's top level, in the order readers expect.
type Doc struct {
	OpenAPI    string `json:"openapi"`
	Info       obj    `json:"info"`
	Servers    []any  `json:"servers"`
	Paths      obj    `json:"paths"`
	Components obj    `json:"components"`
}

// Build returns the document of table for audience a.
func Build(table *engine.Table, version string, a Audience) Doc {
	paths := obj{}
	for _, e := range table.Entries() {
		if !Listed(e, a) {
			continue
		}
		paths["/mvapireq/?apientry="+e.Name] = obj{"get": operation(e)}
	}
	title := "mvapi"
	desc := "The Mizu VoIP server API as this server's rule table defines it now (regenerated after apireload). Every entry is called as GET or POST /mvapireq/?apientry=NAME with its parameters in the query or a form body; format=json answers the json shape below, the default is text."
	if a == Public {
		desc += " Admin entries are listed only for admins."
	}
	return Doc{
		OpenAPI: "3.1.0",
		Info:    obj{"title": title, "version": version, "description": desc},
		Servers: []any{obj{"url": "/"}},
		Paths:   paths,
		Components: obj{
			"securitySchemes": obj{
				"apiKey":       obj{"type": "apiKey", "in": "query", "name": "authkey", "description": "The server's API key (global config apiv2key)."},
				"userId":       obj{"type": "apiKey", "in": "query", "name": "authid", "description": "The user's username or id."},
				"userPassword": obj{"type": "apiKey", "in": "query", "name": "authpwd", "description": "The user's password (or PIN where the entry allows it)."},
				"userMD5":      obj{"type": "apiKey", "in": "query", "name": "authmd5", "description": "md5 of the salted credentials (see README, Authentication), instead of authpwd."},
			},
			"schemas": obj{
				"Answer": obj{
					"type":     "object",
					"required": []any{"code", "status", "text"},
					"properties": obj{
						"code":   obj{"type": "integer", "enum": []any{200, 499}},
						"status": obj{"type": "string", "enum": []any{"OK", "ERROR"}},
						"text":   obj{"type": "string"},
						"rows":   obj{"type": "array", "items": obj{"type": "object", "additionalProperties": obj{"type": "string"}}},
					},
				},
			},
		},
	}
}

func operation(e *engine.Entry) obj {
	params := []any{obj{
		"name": "apientry", "in": "query", "required": true,
		"schema": obj{"type": "string", "const": e.Name},
	}}
	seen := map[string]bool{"apientry": true}
	add := func(name, desc string) {
		name = strings.ToLower(name)
		if name == "" || seen[name] {
			return
		}
		seen[name] = true
		p := obj{"name": name, "in": "query", "required": false, "schema": obj{"type": "string"}}
		if desc != "" {
			p["description"] = desc
		}
		params = append(params, p)
	}
	for i, p := range e.Params {
		add(p, "also param"+strconv.Itoa(i+1))
	}
	usesUser := false
	if e.SQL != nil {
		for _, k := range e.SQL.Keys() {
			switch k.Kind {
			case sqltemplate.SParam:
				add(k.Name, "[SPARAM"+strings.TrimPrefix(k.Name, "sparam")+"] of the entry's customsql")
			case sqltemplate.Field:
				add(k.Name, "{"+k.Name+"} of the entry's customsql")
			case sqltemplate.UserID, sqltemplate.UserName:
				usesUser = true
			}
		}
	}
	add("format", "Answer format: text (default), cleartext, html, xml, soap, json, jsonp")
	op := obj{
		"operationId": "entry_" + sanitize(e.Name),
		"summary":     firstLine(e.Description),
		"parameters":  params,
		"security":    security(e, usesUser),
		"responses":   responses(e),
		"x-mvapi-access": obj{
			"req_key": e.Access.ReqKey, "req_ip": e.Access.ReqIP, "req_user": e.Access.ReqUser,
			"level": level(e.Access.ReqUser), "builtin": e.Builtin,
		},
	}
	if e.Description != "" {
		op["description"] = e.Description
	}
	if e.RowID != 0 {
		op["x-mvapi-tb-api-id"] = e.RowID
	}
	tag := "user"
	switch level(e.Access.ReqUser) {
	case "public":
		tag = "public"
	case "admin", "support":
		tag = "admin"
	}
	op["tags"] = []any{tag}
	return op
}

// security lists the ways to authenticate for e; an empty requirement
// ({}) means none is needed.
func security(e *engine.Entry, usesUser bool) []any {
	var key []string
	if e.Access.ReqKey != 0 {
		key = []string{"apiKey"}
	}
	req := func(names ...string) obj {
		o := obj{}
		for _, n := range append(append([]string(nil), key...), names...) {
			o[n] = []any{}
		}
		return o
	}
	if e.Access.ReqUser == engine.LevelPublic && !usesUser {
		if len(key) == 0 {
			return []any{obj{}}
		}
		return []any{req()}
	}
	return []any{req("userId", "userPassword"), req("userId", "userMD5")}
}

func responses(e *engine.Entry) obj {
	text := "The answer line: OK: ... or a shaped success, ERROR: ... on failure (HTTP 200 unless httpstrictresponse=1, then 499 on failure)."
	jsonSchema := obj{"$ref": "#/components/schemas/Answer"}
	if e.SQL != nil && e.SQL.ReturnsRows() {
		text += " A customsql SELECT also answers its rows (json: rows)."
	}
	return obj{
		"200": obj{
			"description": text,
			"content": obj{
				"text/plain":       obj{"schema": obj{"type": "string"}},
				"application/json": obj{"schema": jsonSchema},
			},
		},
		"429": obj{"description": "Rate limited (httpstrictresponse=1); Retry-After says when to retry."},
		"499": obj{"description": "A failure (httpstrictresponse=1).", "content": obj{"application/json": obj{"schema": jsonSchema}}},
	}
}

func level(l int) string {
	switch {
	case l == engine.LevelPublic:
		return "public"
	case l == engine.LevelDisabled:
		return "disabled"
	case l <= engine.LevelAdmins:
		return "admin"
	case l <= engine.LevelSupport:
		return "support"
	}
	return "user"
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}

// Names lists the entry names of a document's paths, sorted.
func (d Doc) Names() []string {
	var out []string
	for p := range d.Paths {
		out = append(out, strings.TrimPrefix(p, "/mvapireq/?apientry="))
	}
	sort.Strings(out)
	return out
}
