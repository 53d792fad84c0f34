#!/usr/bin/env bash
# bench/reloadload.sh: apireload under load, on SQLite with 10,000 tb_api
# rules (about a minute):
#
#   1. rounds of: wrk balance steady for BENCH_SECONDS, then wrk balance
#      while 100 apireloads run back to back, one row changed before each
#      (bench/reloadload); wrk -t2 -c32, a random user of 10,000, the
#      reload window ends with the last apireload; req/s and p99 of both
#      (best round of each), their ratios round by round and the median
#      ratio (the machine's other load moves whole rounds), non-2xx answers
#      and errors; and, after each reload window, a control window of
#      the same shape and length without reloads (its ratio is not skewed
#      by a reload window of a second or less);
#   2. the wall time of apireload over HTTP (and the engine's own reload
#      time from /metrics) with one row of 10,000 changed;
#   3. a second node on the same database: how long its reload through
#      the change watch takes (engine/changes.go Watch, from its /metrics)
#      and when it has the change after the apireload answered (the poll
#      interval, changepoll, dominates).
#
#   bash bench/reloadload.sh
#   BENCH_SECONDS=10 BENCH_ROUNDS=3 BENCH_RELOADS=100 bash bench/reloadload.sh
#
# The last line is machine-readable (bench/all.sh prints it in its
# summary). Exits 1 when a request or an apireload failed.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
RELOADS=${BENCH_RELOADS:-100}
RULES=10000
USERS=10000
GO=${GO:-go}
ADMINPW=benchadmin-pw

log() { printf '%s\n' "$*" >&2; }
die() { log "reloadload.sh: $*"; exit 1; }
command -v wrk >/dev/null 2>&1 || die "wrk is needed: apt-get install wrk"
command -v curl >/dev/null 2>&1 || die "curl is needed"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mvapi-reloadload.XXXXXX")
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "reloadload: building into $tmp"
"$GO" build -o "$tmp/mvapi" ./cmd/mvapi
"$GO" build -o "$tmp/seed" ./bench/seed
"$GO" build -o "$tmp/reloadload" ./bench/reloadload
db="sqlite:$tmp/reload.db"
"$tmp/mvapi" migrate --db "$db" >/dev/null
"$tmp/seed" -dsn "$db" -users $USERS -rules $RULES >/dev/null 2>&1
printf %s "$ADMINPW" | "$tmp/mvapi" user add --db "$db" --username benchadmin --type admin --password-stdin >/dev/null
"$tmp/seed" -paths "$tmp/pwd.txt" -auth pwd -users $USERS -n 50000

free_port() {
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
	done
	die "no free port"
}

# start_node NAME: starts mvapi on db, sets PORT, ADMIN (its /metrics port)
# and PID; a port taken meanwhile by another program: new ports, again.
start_node() {
	local name=$1 i try
	for try in 1 2 3; do
		PORT=$(free_port)
		ADMIN=$(free_port)
		"$tmp/mvapi" serve --db "$db" --listen "127.0.0.1:$PORT" --set allowtrustedip=0 --set adminhttpaddr="127.0.0.1:$ADMIN" >"$tmp/$name.log" 2>&1 &
		PID=$!
		pids+=("$PID")
		for i in $(seq 300); do
			if ! kill -0 "$PID" 2>/dev/null; then
				grep -q 'address already in use' "$tmp/$name.log" && continue 2
				tail -5 "$tmp/$name.log" >&2
				die "$name exited"
			fi
			curl -fsS --max-time 2 "http://127.0.0.1:$PORT/mvapireq/?apientry=apitest1" >/dev/null 2>&1 &&
				curl -fsS --max-time 2 "http://127.0.0.1:$ADMIN/metrics" >/dev/null 2>&1 && return 0
			sleep 0.1
		done
		die "$name did not answer on $PORT"
	done
	die "$name: no free ports"
}

failed=0
# parse_wrk FILE: sets RPS, P99 (microseconds) and BAD (bad answers + errors).
parse_wrk() {
	local line
	line=$(grep '^BENCH ' "$1") || die "no BENCH line: $(cat "$1")"
	RPS=$(sed -E 's/.* rps=([0-9.]+).*/\1/' <<<"$line")
	P99=$(sed -E 's/.* lat_p99_us=([0-9]+).*/\1/' <<<"$line")
	BAD=$(sed -E 's/.* bad=([0-9]+) errors=([0-9]+).*/\1+\2/' <<<"$line")
	BAD=$((BAD))
	if ((BAD > 0)); then log "bad answers or errors: $line"; failed=1; fi
}
wrk_args=(-t2 -c32 --timeout 10s -s bench/balance.lua)

start_node a
port=$PORT admin=$ADMIN
url="http://127.0.0.1:$port"
log "reloadload: warming up"
BENCH_PATHS=$tmp/pwd.txt wrk "${wrk_args[@]}" -d2s "$url" >/dev/null 2>&1 || true
"$tmp/reloadload" -url "$url" -dsn "$db" -password "$ADMINPW" -n 3 >/dev/null

best_s=0 best_s99=0 best_r=0 best_r99=0 all_s='' all_r='' reload_line='' bad_total=0 ratios='' p99s='' cratios='' cp99s=''
for ((r = 1; r <= ROUNDS; r++)); do
	BENCH_PATHS=$tmp/pwd.txt wrk "${wrk_args[@]}" -d"${SECS}s" "$url" >"$tmp/steady.out" 2>&1 || die "wrk failed: $(cat "$tmp/steady.out")"
	parse_wrk "$tmp/steady.out"
	s_rps=$RPS s_p99=$P99 bad_total=$((bad_total + BAD))
	# The reload window: wrk runs until the last apireload answered.
	BENCH_PATHS=$tmp/pwd.txt wrk "${wrk_args[@]}" -d600s "$url" >"$tmp/reload.out" 2>&1 &
	wpid=$!
	pids+=("$wpid")
	sleep 0.5 # wrk connects
	start=$(date +%s.%N)
	line=$("$tmp/reloadload" -url "$url" -dsn "$db" -password "$ADMINPW" -n "$RELOADS" -metrics "http://127.0.0.1:$admin/metrics") || failed=1
	took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	kill -INT "$wpid" 2>/dev/null || true
	wait "$wpid" 2>/dev/null || true
	parse_wrk "$tmp/reload.out"
	bad_total=$((bad_total + BAD))
	r_rps=$RPS r_p99=$P99
	# The control: a window of the same shape and length without reloads
	# (wrk started in the background, killed after as long), for a ratio
	# that a short reload window does not skew.
	BENCH_PATHS=$tmp/pwd.txt wrk "${wrk_args[@]}" -d600s "$url" >"$tmp/control.out" 2>&1 &
	wpid=$!
	pids+=("$wpid")
	sleep 0.5
	sleep "$took"
	kill -INT "$wpid" 2>/dev/null || true
	wait "$wpid" 2>/dev/null || true
	parse_wrk "$tmp/control.out"
	bad_total=$((bad_total + BAD))
	cratios+=$(awk -v r="$r_rps" -v s="$RPS" 'BEGIN { printf " %.2f", r / s }')
	cp99s+=$(awk -v r="$r_p99" -v s="$P99" 'BEGIN { printf " %.2f", r / s }')
	log "reloadload round $r: control window ${took}s $(printf %.0f "$RPS") req/s p99 ${P99} us"
	RPS=$r_rps P99=$r_p99
	all_s+=$(printf ' %.0f' "$s_rps") all_r+=$(printf ' %.0f' "$RPS")
	log "reloadload round $r: steady $(printf %.0f "$s_rps") req/s p99 ${s_p99} us; $RELOADS reloads in ${took}s: $(printf %.0f "$RPS") req/s p99 ${P99} us; $line"
	if awk -v a="$s_rps" -v b="$best_s" 'BEGIN { exit !(a > b) }'; then best_s=$s_rps best_s99=$s_p99; fi
	if awk -v a="$RPS" -v b="$best_r" 'BEGIN { exit !(a > b) }'; then best_r=$RPS best_r99=$P99 reload_line=$line reload_took=$took; fi
	ratios+=$(awk -v r="$RPS" -v s="$s_rps" 'BEGIN { printf " %.2f", r / s }')
	p99s+=$(awk -v r="$P99" -v s="$s_p99" 'BEGIN { printf " %.2f", r / s }')
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

log "reloadload: a second node, reloading through the change watch"
start_node b
line=$("$tmp/reloadload" -url "$url" -dsn "$db" -password "$ADMINPW" -n 20 -watch "http://127.0.0.1:$ADMIN/metrics") || failed=1
watch_line=$line

field() { sed -E "s/.* $1=([0-9.]+).*/\\1/" <<<"$2"; }
echo
echo "== apireload under load (SQLite, $RULES tb_api rules; wrk -t2 -c32 balance, random user of $USERS; best of $ROUNDS rounds; $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg))"
printf '   steady                %8.0f req/s  p99 %6d us   (rounds:%s)\n' "$best_s" "$best_s99" "$all_s"
awk -v r="$best_r" -v p="$best_r99" -v n="$RELOADS" -v t="$reload_took" -v all="$all_r" 'BEGIN {
	printf "   %3d reloads (%5.1f s)  %8.0f req/s  p99 %6d us   (rounds:%s)\n", n, t, r, p, all }'
echo "   under reloads / steady, round by round (each reload window right after its steady window): req/s$ratios, p99$p99s; median $(median "$ratios") x req/s, $(median "$p99s") x p99"
echo "   under reloads / a window of the same length without reloads right after it, round by round: req/s$cratios, p99$cp99s; median $(median "$cratios") x req/s, $(median "$cp99s") x p99"
echo "   failed requests (non-2xx, wrong answer, socket errors): $bad_total"
echo "   apireload over HTTP, one row of $RULES changed (under load): p50 $(field wall_p50_ms "$reload_line") ms, p90 $(field wall_p90_ms "$reload_line") ms, max $(field wall_max_ms "$reload_line") ms; in the engine p50 $(field engine_p50_ms "$reload_line") ms, max $(field engine_max_ms "$reload_line") ms"
echo "   other node, change watch (no load): reload p50 $(field watch_p50_ms "$watch_line") ms, max $(field watch_max_ms "$watch_line") ms; has the change p50 $(field seen_p50_ms "$watch_line") ms after the apireload was sent (changepoll 1 s)"
awk -v r="$best_r" -v p="$best_r99" -v s="$best_s" -v sp="$best_s99" -v bad="$bad_total" -v mr="$(median "$ratios")" -v mp="$(median "$p99s")" -v cr="$(median "$cratios")" -v cp="$(median "$cp99s")" \
	-v w50="$(field wall_p50_ms "$reload_line")" -v wmax="$(field wall_max_ms "$reload_line")" \
	-v x50="$(field watch_p50_ms "$watch_line")" -v xmax="$(field watch_max_ms "$watch_line")" 'BEGIN {
	printf "RELOADLOAD steady_rps=%.0f reload_rps=%.0f ratio=%s steady_p99_us=%d reload_p99_us=%d p99_ratio=%s control_ratio=%s control_p99_ratio=%s failed=%d http_p50_ms=%s http_max_ms=%s watch_p50_ms=%s watch_max_ms=%s\n",
		s, r, mr, sp, p, mp, cr, cp, bad, w50, wmax, x50, xmax }'
((failed == 0 && bad_total == 0)) || die "some requests or apireloads failed"
