package engine_test

import (
	"context"
	"strings"
	"testing"

	"mvapi/internal/mvtest"
)

// TestApireloadInstallsADescriptionChange: a row whose description alone
// changed is a changed entry; apireload installs it (help and the OpenAPI
// document show the new text).
func TestApireloadInstallsADescriptionChange(t *testing.T) {
	db := mvtest.MustDB(t)
	mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, customsql, description) VALUES ('described', 'SELECT 1', 'old text')")
	e := mvtest.MustEngine(t, db, nil)
	mvtest.MustExec(t, db, "UPDATE tb_api SET description = 'new text' WHERE fname = 'described'")
	d, err := e.ReloadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d.String(), "changed: described") {
		t.Fatalf("apireload: %s", d)
	}
	if en, _ := e.Table().Lookup("described"); en == nil || en.Description != "new text" {
		t.Fatalf("entry after apireload: %+v", en)
	}
}
