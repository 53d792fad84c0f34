"""Oracle for engine/tsql's corpus test: reads a JSON list of T-SQL
statements on stdin and writes, for each, its sqlglot translation to
SQLite and to PostgreSQL (a list of statements) or the error."""
import json
import sys

import sqlglot

out = {"version": sqlglot.__version__, "results": []}
for sql in json.load(sys.stdin):
    r = {}
    for target in ("sqlite", "postgres"):
        try:
            r[target] = sqlglot.transpile(sql, read="tsql", write=target)
        except Exception as e:  # noqa: BLE001 - every failure is a result
            r[target + "_error"] = "%s: %s" % (type(e).__name__, e)
    out["results"].append(r)
json.dump(out, sys.stdout)
