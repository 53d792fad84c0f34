#!/usr/bin/env bash
# bench/dbs.sh: balance over HTTP on SQLite and on PostgreSQL, each as a
# ratio to the no-auth, no-SQL ceiling of the same binary (apitest1).
# For each database: migrate, seed 10,000 users, serve, then alternate wrk
# runs of apitest1 and balance (random user, clear-text authpwd, full
# authentication) and report the best req/s of each and the ratio.
#
#   bash bench/dbs.sh                       # 10 s per run, 2 rounds
#   BENCH_SECONDS=20 BENCH_PG=postgres://postgres@127.0.0.1:5432/postgres bash bench/dbs.sh
#
# PostgreSQL: a database mvapi_bench_PID is created on BENCH_PG's server
# (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)
# and dropped at the end. Exits 1 when a request failed or was answered
# wrongly. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-2}
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
export BENCH_USERS=10000

command -v wrk >/dev/null || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mvapi-dbs.XXXXXX")
pgdb="mvapi_bench_$$"
pid=''
cleanup() {
	[[ -n $pid ]] && { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; } || true
	psql -q "$PG" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/mvapi" ./cmd/mvapi
go build -o "$tmp/seed" ./bench/seed
psql -q "$PG" -c "CREATE DATABASE $pgdb" >/dev/null
pgdsn=$(sed -E "s#/[^/?]*(\?|$)#/$pgdb\1#" <<<"$PG")

failed=0
declare -A ratio=()
for kind in sqlite postgres; do
	if [[ $kind == sqlite ]]; then dsn="sqlite:$tmp/bench.db"; else dsn=$pgdsn; fi
	"$tmp/mvapi" migrate --db "$dsn" >/dev/null
	BENCH_KEY=$("$tmp/seed" -dsn "$dsn" -users "$BENCH_USERS" 2>/dev/null)
	export BENCH_KEY
	port=$((20000 + RANDOM % 40000))
	"$tmp/mvapi" serve --db "$dsn" --listen "127.0.0.1:$port" --set allowtrustedip=0 >"$tmp/$kind.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/mvapireq/?apientry=apitest1" >/dev/null && break; sleep 0.1; done
	declare -A best=([apitest1]=0 [balance]=0)
	for ((r = 0; r <= ROUNDS; r++)); do
		for entry in apitest1 balance; do
			d=$SECS; [[ $r == 0 ]] && d=2 # round 0 warms up
			out=$(BENCH_ENTRY=$entry wrk -t2 -c32 -d"${d}s" --timeout 10s -s bench/balance.lua "http://127.0.0.1:$port")
			line=$(grep '^BENCH ' <<<"$out")
			rps=$(sed -E 's/.* rps=([0-9.]+).*/\1/' <<<"$line")
			bad=$(sed -E 's/.* bad=([0-9]+) errors=([0-9]+).*/\1+\2/' <<<"$line")
			(( $bad > 0 )) && { echo "$kind $entry: bad answers or errors: $line" >&2; failed=1; }
			[[ $r == 0 ]] && continue
			printf '%-8s round %d %-8s %9.0f req/s\n' "$kind" "$r" "$entry" "$rps"
			awk -v a="$rps" -v b="${best[$entry]}" 'BEGIN { exit !(a > b) }' && best[$entry]=$rps
		done
	done
	kill "$pid"; wait "$pid" 2>/dev/null || true; pid=''
	ratio[$kind]=$(awk -v b="${best[balance]}" -v c="${best[apitest1]}" 'BEGIN { printf "%.3f", b / c }')
	printf '%-8s best: apitest1 %.0f req/s, balance %.0f req/s, ratio %s\n' "$kind" "${best[apitest1]}" "${best[balance]}" "${ratio[$kind]}"
done
echo "== summary: balance / apitest1 (same binary): sqlite ${ratio[sqlite]}, postgres ${ratio[postgres]}"
exit $failed
