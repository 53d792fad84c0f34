package server_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"mvapi/engine"
	"mvapi/internal/mvtest"
	"mvapi/internal/server"
)

// TestBuildWiresSchedulerAndRestart: Build makes the scheduler the engine's
// maintainer and reload hook and hands the restart hook to the engine;
// nothing else registers itself.
func TestBuildWiresSchedulerAndRestart(t *testing.T) {
	db := mvtest.MustDB(t)
	var reasons []string
	st, err := server.Build(context.Background(), server.Deps{DB: db, Version: "test", Restart: func(r string) { reasons = append(reasons, r) }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(context.Background())
	if st.Engine.Maintainer() != engine.Maintainer(st.Jobs) {
		t.Fatal("the scheduler is not the engine's maintainer")
	}
	if r := st.Engine.Restarter(); r == nil {
		t.Fatal("no restarter")
	} else if r("test"); len(reasons) != 1 {
		t.Fatal("the engine's restarter is not Deps.Restart")
	}
	// The scheduler's rows are compiled with tb_api: a bad task fails
	// apireload and reload, naming the row.
	mvtest.MustExec(t, db, "INSERT INTO tb_scheduledtasks (name, schedule, custom_action, custom_action_body) VALUES ('broken', 'every now and then', 8, 'SELECT 1')")
	_, err = st.Engine.ReloadTable(context.Background())
	var ce *engine.CompileError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), `tb_scheduledtasks id=1 name="broken"`) {
		t.Fatalf("apireload with a bad task: %v", err)
	}
	if err := st.Engine.ReloadConfig(context.Background()); !errors.As(err, &ce) {
		t.Fatalf("reload with a bad task: %v", err)
	}
}

// TestBuildRefusesABadRowOnlyWithStrictStart: a tb_api row that does not
// compile fails Build with the row named under strictstart=1; by default
// the server is built, the row's entry answers that it is not available
// and BadRows lists it.
func TestBuildRefusesABadRowOnlyWithStrictStart(t *testing.T) {
	db := mvtest.MustDB(t)
	mvtest.MustExec(t, db, "INSERT INTO tb_api (fname, custom_action) VALUES ('ringme', 3)")
	_, err := server.Build(context.Background(), server.Deps{DB: db, Sets: map[string]string{"strictstart": "1"}})
	var ce *engine.CompileError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), `fname="ringme"`) {
		t.Fatalf("Build with strictstart=1: %v", err)
	}
	st, err := server.Build(context.Background(), server.Deps{DB: db})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	defer st.Close(context.Background())
	if bad := st.Engine.BadRows(); len(bad) != 1 || bad[0].Fname != "ringme" {
		t.Fatalf("BadRows = %v", bad)
	}
	res := st.Engine.Serve(context.Background(), &engine.Request{Entry: "ringme", Params: engine.Params{}})
	if res.Text != "ERROR: apientry ringme is not available (misconfigured)" || res.Kind != engine.KindUnavailable {
		t.Fatalf("ringme answered %q (%v)", res.Text, res.Kind)
	}
}
