package jobs

import (
	"testing"

	"mvapi/schema"
	"mvapi/schema/schematest"
)

func TestSQLServerAuditPurge(t *testing.T) {
	got := purgeAuditSQL(schema.SQLServer)
	if want := `DELETE FROM tb_auditlog WHERE datum < @p1`; got != want {
		t.Errorf("got %s", got)
	}
	if h := schematest.TSQLHazards(got); len(h) > 0 {
		t.Error(h)
	}
}
