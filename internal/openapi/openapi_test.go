package openapi_test

import (
	"context"
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"mvapi/actions"
	"mvapi/engine"
	"mvapi/internal/mvtest"
	"mvapi/internal/openapi"
)

// TestDocumentPerTableAndAudience: the public document lists no entry an
// end user cannot call; both validate; a document is built once per table
// and rebuilt for the table apireload installs.
func TestDocumentPerTableAndAudience(t *testing.T) {
	db := mvtest.MustDB(t)
	st := mvtest.MustStack(t, db, nil, actions.Deps{})
	e := st.Engine
	pub := openapi.Build(e.Table(), "v", openapi.Public)
	adm := openapi.Build(e.Table(), "v", openapi.Admin)
	for _, ent := range e.Table().Entries() {
		listed := slices.Contains(pub.Names(), ent.Name)
		if listed && (ent.Access.ReqUser <= engine.LevelSupport || ent.Access.ReqIP != 0) {
			t.Errorf("public document lists %s (req_user %d, req_ip %d)", ent.Name, ent.Access.ReqUser, ent.Access.ReqIP)
		}
		if ent.Enabled && !slices.Contains(adm.Names(), ent.Name) {
			t.Errorf("admin document lacks %s", ent.Name)
		}
	}
	for _, aud := range []openapi.Audience{openapi.Public, openapi.Admin} {
		b := openapi.Document(e.Table(), "v", aud)
		doc, err := openapi3.NewLoader().LoadFromData(b)
		if err != nil {
			t.Fatal(err)
		}
		if err := doc.Validate(context.Background()); err != nil {
			t.Fatalf("audience %d: %v", aud, err)
		}
		if again := openapi.Document(e.Table(), "v", aud); &again[0] != &b[0] {
			t.Fatal("document rebuilt for the same table")
		}
	}
	before := openapi.Document(e.Table(), "v", openapi.Public)
	mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, req_key, req_user, customsql) VALUES ('newrow', 0, 14, 'SELECT [SPARAM2]')")
	if _, err := e.ReloadTable(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := openapi.Document(e.Table(), "v", openapi.Public)
	if &after[0] == &before[0] || !slices.Contains(openapi.Build(e.Table(), "v", openapi.Public).Names(), "newrow") {
		t.Fatal("the document did not follow apireload")
	}
}
