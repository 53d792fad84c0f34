#!/usr/bin/env bash
# bench/all.sh: what `make bench` prints, in one run (about 10 minutes):
#
#   1. balance over HTTP against the bare ceiling (bench/ceiling: net/http
#      + `select credit from tb_users where username = ?`, authenticating
#      nothing), on SQLite and on PostgreSQL: mvapi balance with authpwd and
#      with authmd5 (the ck5Gp formula, 50,000 lines of fresh authsalts), and
#      a customsql entry (mycredit: select credit, currency ... where id =
#      [USERID]). wrk -t2 -c32, a random user of 10,000, rounds interleaved
#      (ceiling, pwd, ceiling sent the md5 requests, md5, customsql,
#      ceiling, ...: each balance is compared with the ceiling answering
#      the same request bytes, which it parses too) so that the machine's
#      other load hits all alike, each measured after BENCH_SETTLE (2) s of
#      the same load unmeasured; best req/s of the rounds, its p99, and the
#      ratios, and the paired ratios: within each round (5 by default), and
#      their median, which a round slowed by the machine moves less;
#   2. apireload of 10,000 rows (Go benchmark BenchmarkReload: one row
#      changed, nothing changed, full compile);
#   1b. the same ratios in process, without sockets (BenchmarkInterleaved
#      of bench/ceiling: one request of each in turn, in one goroutine,
#      steadier than wrk's rounds on a busy machine);
#   2b. 100 apireloads back to back under a balance load, with the
#      wall time of apireload over HTTP and of another node's reload
#      through the change watch (bench/reloadload.sh);
#   3. RSS of mvapi serving 10,000 tb_api rules with 1,000 open connections
#      (500 keep-alive HTTP + 500 WebSocket, bench/conns);
#   4. the load average before and after.
#
#   bash bench/all.sh
#   BENCH_SECONDS=10 BENCH_ROUNDS=5 BENCH_PG=postgres://... bash bench/all.sh
#   BENCH_ONLY=http bash bench/all.sh     # part 1 only (about 2 minutes)
#
# PostgreSQL: a database mvapi_bench_PID is created on BENCH_PG's server
# (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)
# and dropped at the end; without a reachable server that part is skipped.
# wrk comes from Debian (apt-get install wrk); the script installs it when
# it can. Exits 1 when a request failed or was answered wrongly.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=${BENCH_SECONDS:-5}
SETTLE=${BENCH_SETTLE:-2} # seconds of unmeasured load before each measured one
ONLY=${BENCH_ONLY:-}
ROUNDS=${BENCH_ROUNDS:-5}
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
USERS=10000
GO=${GO:-go}

log() { printf '%s\n' "$*" >&2; }
die() { log "all.sh: $*"; exit 1; }
[[ -z $ONLY || $ONLY == http ]] || die "BENCH_ONLY is empty (everything) or http (part 1 only)"

if ! command -v wrk >/dev/null 2>&1; then
	log "installing wrk (apt-get install -y wrk)"
	{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk; } >/dev/null 2>&1 ||
		die "wrk is needed: apt-get install wrk (Debian/Ubuntu) or build it from https://github.com/wg/wrk"
fi
command -v curl >/dev/null 2>&1 || die "curl is needed"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mvapi-benchall.XXXXXX")
pgdb="mvapi_bench_$$"
pids=()
pg_made=0
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	if ((pg_made)); then psql -q "$PG" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1 || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "building into $tmp"
"$GO" build -o "$tmp/mvapi" ./cmd/mvapi
"$GO" build -o "$tmp/ceiling" ./bench/ceiling
"$GO" build -o "$tmp/seed" ./bench/seed
"$GO" build -o "$tmp/conns" ./bench/conns
# Every path file has 50,000 lines: wrk's LuaJIT holds the file in a table,
# and with 200,000 lines its collector's pauses showed in the client's p99
# (the same server read p99 10-46 ms with 200,000 md5 lines, 7-9 ms with
# 50,000). A salt then comes round again every 50,000 requests of a
# thread, which costs the server the same (replayprotect=1 checks admins
# only).
"$tmp/seed" -paths "$tmp/pwd.txt" -auth pwd -users $USERS -n 50000
"$tmp/seed" -paths "$tmp/md5.txt" -auth md5 -users $USERS -n 50000
"$tmp/seed" -paths "$tmp/sql.txt" -auth pwd -entry mycredit -users $USERS -n 50000

free_port() {
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
	done
	die "no free port"
}

# start NAME URL-PATH COMMAND... (with {PORT}): starts a server, waits until
# the path answers, sets PORT and PID.
start() {
	local name=$1 path=$2 i
	shift 2
	PORT=$(free_port)
	"${@//\{PORT\}/$PORT}" >"$tmp/$name.log" 2>&1 &
	PID=$!
	pids+=("$PID")
	for i in $(seq 200); do
		kill -0 "$PID" 2>/dev/null || { tail -5 "$tmp/$name.log" >&2; die "$name exited"; }
		curl -fsS --max-time 2 "http://127.0.0.1:$PORT$path" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	die "$name did not answer on $PORT"
}

stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

failed=0
# run_wrk PORT PATHS WANT SECS: sets RPS and P99 (microseconds).
run_wrk() {
	local out line bad
	out=$(BENCH_PATHS=$2 BENCH_WANT=$3 wrk -t2 -c32 -d"$4s" --timeout 10s -s bench/balance.lua "http://127.0.0.1:$1" 2>&1) ||
		die "wrk failed: $out"
	line=$(grep '^BENCH ' <<<"$out") || die "no BENCH line: $out"
	RPS=$(sed -E 's/.* rps=([0-9.]+).*/\1/' <<<"$line")
	P99=$(sed -E 's/.* lat_p99_us=([0-9]+).*/\1/' <<<"$line")
	bad=$(sed -E 's/.* bad=([0-9]+) errors=([0-9]+).*/\1+\2/' <<<"$line")
	if (($bad > 0)); then log "bad answers or errors: $line"; failed=1; fi
}

declare -A RES=()
targets=(ceiling pwd ceilmd5 md5 customsql) # the order of a round
# each balance is compared with the ceiling sent the same requests
declare -A ceiling_of=([pwd]=ceiling [md5]=ceilmd5)
# bench_db KIND DSN
bench_db() {
	local kind=$1 dsn=$2 key cport cpid mport mpid r t
	"$tmp/mvapi" migrate --db "$dsn" >/dev/null
	key=$("$tmp/seed" -dsn "$dsn" -users $USERS 2>/dev/null)
	[[ $key == benchkey123 ]] || die "$kind: api key is $key, the path files use benchkey123"
	start "ceiling-$kind" "/mvapireq/?authid=bench00001" "$tmp/ceiling" -dsn "$dsn" -listen "127.0.0.1:{PORT}"
	cport=$PORT cpid=$PID
	start "mvapi-$kind" "/mvapireq/?apientry=apitest1" "$tmp/mvapi" serve --db "$dsn" --listen "127.0.0.1:{PORT}" --set allowtrustedip=0
	mport=$PORT mpid=$PID
	# ceilmd5: the ceiling sent the authmd5 requests, the bytes md5 is sent
	# (longer than authpwd's: the ceiling parses them too)
	local -A port=([ceiling]=$cport [pwd]=$mport [ceilmd5]=$cport [md5]=$mport [customsql]=$mport)
	local -A file=([ceiling]=$tmp/pwd.txt [pwd]=$tmp/pwd.txt [ceilmd5]=$tmp/md5.txt [md5]=$tmp/md5.txt [customsql]=$tmp/sql.txt)
	local -A want=([ceiling]="Your credit" [pwd]="Your credit" [ceilmd5]="Your credit" [md5]="Your credit" [customsql]="OK: 1 rows")
	log "$kind: warming up"
	for t in "${targets[@]}"; do run_wrk "${port[$t]}" "${file[$t]}" "${want[$t]}" 2; done
	for t in "${targets[@]}"; do RES[$kind,$t]=0; RES[$kind,$t,p99]=0; RES[$kind,$t,all]=''; RES[$kind,$t,p99all]=''; done
	for ((r = 1; r <= ROUNDS; r++)); do
		for t in "${targets[@]}"; do
			# settle: the same load unmeasured first. Measured right
			# after the target before it, a target read slower or
			# faster by what that one was: in four make bench runs of
			# 2026-12-01 the ceiling sent authpwd requests (after
			# customsql) read a median 4-8 % below the same ceiling sent
			# authmd5 requests (after pwd), which read the same when the
			# two alternated alone; with 2 s of its own load first, the
			# order made no difference.
			run_wrk "${port[$t]}" "${file[$t]}" "${want[$t]}" "$SETTLE"
			run_wrk "${port[$t]}" "${file[$t]}" "${want[$t]}" "$SECS"
			RES[$kind,$t,all]+=$(printf ' %.0f' "$RPS")
			RES[$kind,$t,p99all]+=" $P99"
			if awk -v a="$RPS" -v b="${RES[$kind,$t]}" 'BEGIN { exit !(a > b) }'; then
				RES[$kind,$t]=$RPS RES[$kind,$t,p99]=$P99
			fi
		done
		log "$kind round $r:${RES[$kind,ceiling,all]##* } ceiling,${RES[$kind,pwd,all]##* } pwd,${RES[$kind,ceilmd5,all]##* } ceiling (md5 requests),${RES[$kind,md5,all]##* } md5,${RES[$kind,customsql,all]##* } customsql"
	done
	stop "$mpid"
	stop "$cpid"
}

bench_db sqlite "sqlite:$tmp/bench.db"
kinds=(sqlite)
if psql -q "$PG" -c "CREATE DATABASE $pgdb" >/dev/null 2>&1; then
	pg_made=1
	bench_db postgres "$(sed -E "s#/[^/?]*(\?|$)#/$pgdb\1#" <<<"$PG")"
	kinds+=(postgres)
else
	log "PostgreSQL at $PG not reachable: skipped (set BENCH_PG)"
fi

if [[ $ONLY == http ]]; then
	load_after=$(cut -d' ' -f1-3 /proc/loadavg)
else
log "apireload: go test -bench Reload ./engine"
reload=$("$GO" test -run '^$' -bench 'Reload' -benchtime 10x -count 1 ./engine 2>&1) || die "reload benchmark failed: $reload"
ms() { awk -v n="$1" '$1 ~ n { for (i = 1; i <= NF; i++) if ($(i+1) == "ns/op") printf "%.1f", $i / 1e6 }' <<<"$reload"; }

log "in process, interleaved: go test -bench Interleaved ./bench/ceiling"
# metric NAME LINE: the value before the unit NAME in a benchmark's line
metric() { awk -v n="$1" '{ for (i = 2; i <= NF; i++) if ($i == n) printf "%.2f", $(i-1) }' <<<"$2"; }
inproc=()
for k in "${kinds[@]}"; do
	line=$(BENCH_DB=$k MVAPI_TEST_POSTGRES=$(sed -E "s#/[^/?]*(\?|$)#/$pgdb\1#" <<<"$PG") \
		"$GO" test ./bench/ceiling -run '^$' -bench Interleaved -benchtime 10000x -count 1 2>&1 | grep '^BenchmarkInterleaved') ||
		die "BenchmarkInterleaved failed on $k"
	inproc+=("$k balance $(metric balance/ceiling "$line") x ceiling, mycredit $(metric mycredit/balance "$line") x balance")
done

log "apireload under load: bench/reloadload.sh"
reloadload=$(BENCH_SECONDS=$SECS BENCH_ROUNDS=$ROUNDS bash bench/reloadload.sh 2>"$tmp/reloadload.log") || { tail -20 "$tmp/reloadload.log" >&2; failed=1; }
reloadload=$(grep '^RELOADLOAD ' <<<"$reloadload" || true)
rl() { sed -E "s/.* $1=([0-9.]+).*/\1/" <<<"$reloadload"; }

log "RSS: 10,000 rules, 1,000 connections"
rdb="sqlite:$tmp/rss.db"
"$tmp/mvapi" migrate --db "$rdb" >/dev/null
"$tmp/seed" -dsn "$rdb" -users 100 -rules 10000 >/dev/null 2>&1
start rss "/mvapireq/?apientry=apitest1" "$tmp/mvapi" serve --db "$rdb" --listen "127.0.0.1:{PORT}" --set allowtrustedip=0 --set maxconnectionsperip=0 --set maxconnections=2000
rpid=$PID
rss() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
rss_idle=$(rss "$rpid")
"$tmp/conns" -addr "127.0.0.1:$PORT" -http 500 -ws 500 >"$tmp/conns.out" 2>&1 &
cpid=$!
pids+=("$cpid")
for _ in $(seq 300); do grep -q '^open' "$tmp/conns.out" 2>/dev/null && break; kill -0 $cpid 2>/dev/null || break; sleep 0.1; done
grep -q '^open 1000' "$tmp/conns.out" || { cat "$tmp/conns.out" >&2; die "conns did not open 1000 connections"; }
sleep 1
rss_conns=$(rss "$rpid")
stop "$cpid"
stop "$rpid"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
fi

echo
echo "== mvapi bench ($(nproc) CPUs; load average before: $load_before, after: $load_after)"
echo "   ceiling: net/http + prepared \`select credit from tb_users where username = ?\` (1 column); authenticates nothing"
echo "   mvapi:   balance with api key, user lookup, password (authpwd) or ck5Gp authmd5 check, rule table, text answer"
echo "   wrk -t2 -c32 -d${SECS}s (after ${SETTLE}s unmeasured) x $ROUNDS interleaved rounds, random user of $USERS; best req/s (all rounds) and its p99"
echo "   paired: the ratio within each round (its targets run one after the other), and the median of the rounds"
# paired NUMS DENS: the ratios NUMS[i]/DENS[i] of the rounds and their median
paired() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		n = split(a, x, " "); split(b, y, " ")
		for (i = 1; i <= n; i++) { r[i] = x[i] / y[i]; out = out sprintf(" %.2f", r[i]) }
		for (i = 2; i <= n; i++) for (j = i; j > 1 && r[j-1] > r[j]; j--) { t = r[j]; r[j] = r[j-1]; r[j-1] = t }
		m = n % 2 ? r[(n + 1) / 2] : (r[n / 2] + r[n / 2 + 1]) / 2
		printf "%s, median %.2f", out, m }'
}
for k in "${kinds[@]}"; do
	for t in ceiling ceilmd5; do
		printf '   %-8s %-24s %8.0f req/s  p99 %6d us   (rounds:%s)\n' "$k" "$(sed 's/^ceilmd5$/ceiling, md5 requests/' <<<"$t")" \
			"${RES[$k,$t]}" "${RES[$k,$t,p99]}" "${RES[$k,$t,all]}"
	done
	for t in pwd md5; do
		c=${ceiling_of[$t]}
		awk -v k="$k" -v t="$t" -v r="${RES[$k,$t]}" -v p="${RES[$k,$t,p99]}" -v c="${RES[$k,$c]}" -v cp="${RES[$k,$c,p99]}" -v all="${RES[$k,$t,all]}" 'BEGIN {
			printf "   %-8s balance %-16s %8.0f req/s  p99 %6d us   %.2f x ceiling, p99 %.2f x   (rounds:%s)\n", k, t, r, p, r / c, p / cp, all }'
	done
	awk -v k="$k" -v r="${RES[$k,customsql]}" -v p="${RES[$k,customsql,p99]}" -v b="${RES[$k,pwd]}" -v all="${RES[$k,customsql,all]}" 'BEGIN {
		printf "   %-8s customsql                %8.0f req/s  p99 %6d us   %.2f x balance (authpwd)   (rounds:%s)\n", k, r, p, r / b, all }'
	for t in pwd md5; do
		c=${ceiling_of[$t]}
		printf '   %-8s paired  %-8s req/s x ceiling:%s; p99 x ceiling:%s\n' "$k" "$t" \
			"$(paired "${RES[$k,$t,all]}" "${RES[$k,$c,all]}")" "$(paired "${RES[$k,$t,p99all]}" "${RES[$k,$c,p99all]}")"
	done
	printf '   %-8s paired  customsql req/s x balance (authpwd):%s\n' "$k" "$(paired "${RES[$k,customsql,all]}" "${RES[$k,pwd,all]}")"
	printf '   %-8s md5 against the ceiling sent authpwd requests: best %s x, paired%s\n' "$k" \
		"$(awk -v a="${RES[$k,md5]}" -v b="${RES[$k,ceiling]}" 'BEGIN { printf "%.2f", a / b }')" "$(paired "${RES[$k,md5,all]}" "${RES[$k,ceiling,all]}")"
done
if [[ $ONLY != http ]]; then
echo "   in process, one request of each in turn (BenchmarkInterleaved, no sockets): $(IFS=';'; echo "${inproc[*]}" | sed 's/;/; /g')"
echo "   apireload of 10,000 rows (SQLite): one row changed $(ms one-changed) ms, unchanged $(ms unchanged) ms, full compile $(ms full) ms"
[[ -n $reloadload ]] && echo "   100 apireloads under balance load (SQLite, 10,000 rules, bench/reloadload.sh): $(rl ratio) x the steady window before, p99 $(rl p99_ratio) x; $(rl control_ratio) x a window as long without reloads right after, p99 $(rl control_p99_ratio) x (medians of the rounds); $(rl failed) failed; apireload over HTTP p50 $(rl http_p50_ms) ms, other node's watch reload p50 $(rl watch_p50_ms) ms"
echo "   RSS with 10,000 rules: $rss_idle MiB idle, $rss_conns MiB with 1,000 connections (500 keep-alive + 500 WebSocket)"
echo "   other nodes reload only when the change stamp moved (engine/changes.go Watch)"
fi
((failed == 0)) || die "some requests failed or were answered wrongly"
