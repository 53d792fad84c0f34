#!/usr/bin/env bash
# bench/http.sh: the HTTP part of `make bench`. Measures mvapi's balance
# entry (full authentication: api key, user lookup, password compare) with
# wrk against bench/ceiling, a bare net/http server doing the same SQL work,
# on the same seeded SQLite file. Runs ceiling, mvapi, ceiling, mvapi and
# reports the best of two for each and the ratio mvapi/ceiling (target
# >= 0.90; reported, not enforced). Exits 1 when any request failed or was
# answered wrongly.
#
#   bash bench/http.sh                   # 10 s per run
#   BENCH_SECONDS=30 bash bench/http.sh
set -euo pipefail

cd "$(dirname "$0")/.."

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
USERS=10000
THREADS=2
CONNS=32
GO=${GO:-go}

log() { printf '%s\n' "$*" >&2; }
die() { log "http.sh: $*"; exit 1; }

if ! command -v wrk >/dev/null 2>&1; then
	log "installing wrk"
	apt-get update >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null
fi
command -v curl >/dev/null 2>&1 || die "curl is needed"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mvapi-bench.XXXXXX")
pids=()
cleanup() {
	local pid
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "building into $tmp"
"$GO" build -o "$tmp/mvapi" ./cmd/mvapi
"$GO" build -o "$tmp/ceiling" ./bench/ceiling
"$GO" build -o "$tmp/seed" ./bench/seed

db="$tmp/bench.db"
"$tmp/mvapi" migrate --db "sqlite:$db" >/dev/null
key=$("$tmp/seed" -db "$db" -users "$USERS")
export BENCH_KEY=$key BENCH_USERS=$USERS

# free_port prints a loopback TCP port nobody listens on (a server that
# still loses the race fails to start, and start_server tries another).
free_port() {
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	die "no free port found"
}

# start_server NAME PORT-VAR COMMAND...: starts COMMAND with {PORT} replaced
# by a free port and waits until a balance request answers with the credit.
start_server() {
	local name=$1 portvar=$2 try port pid i body url
	shift 2
	for try in 1 2 3; do
		port=$(free_port)
		local args=("${@//\{PORT\}/$port}")
		"${args[@]}" >"$tmp/$name.log" 2>&1 &
		pid=$!
		pids+=("$pid")
		url="http://127.0.0.1:$port/mvapireq/?apientry=balance&authkey=$BENCH_KEY&authid=bench00001&authpwd=pwbench00001"
		for i in $(seq 100); do
			if ! kill -0 "$pid" 2>/dev/null; then
				break
			fi
			if body=$(curl -fsS --max-time 2 "$url" 2>/dev/null); then
				[[ $body == "Your credit is \$10" ]] || die "$name answers '$body', want 'Your credit is \$10'"
				printf -v "$portvar" '%s' "$port"
				log "$name listening on 127.0.0.1:$port (pid $pid)"
				return 0
			fi
			sleep 0.1
		done
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		log "$name did not start on port $port (try $try):"
		tail -n 5 "$tmp/$name.log" >&2 || true
	done
	die "$name would not start"
}

mvapi_port='' ceiling_port=''
start_server mvapi mvapi_port "$tmp/mvapi" serve --db "sqlite:$db" --listen "127.0.0.1:{PORT}" --set allowtrustedip=0
start_server ceiling ceiling_port "$tmp/ceiling" -db "$db" -listen "127.0.0.1:{PORT}"

failed=0

# run_wrk NAME PORT SECONDS LABEL: one wrk run; prints wrk's output and
# sets RPS, P50, P99, AVG from the script's BENCH line.
run_wrk() {
	local name=$1 port=$2 secs=$3 label=$4 out line bad errors
	out=$(wrk -t"$THREADS" -c"$CONNS" -d"${secs}s" -s bench/balance.lua "http://127.0.0.1:$port" 2>&1) ||
		die "wrk failed against $name: $out"
	line=$(grep '^BENCH ' <<<"$out" || true)
	[[ -n $line ]] || die "no BENCH line from wrk against $name: $out"
	RPS=$(sed -E 's/.* rps=([0-9.]+).*/\1/' <<<"$line")
	AVG=$(sed -E 's/.* lat_avg_us=([0-9.]+).*/\1/' <<<"$line")
	P50=$(sed -E 's/.* lat_p50_us=([0-9]+).*/\1/' <<<"$line")
	P99=$(sed -E 's/.* lat_p99_us=([0-9]+).*/\1/' <<<"$line")
	bad=$(sed -E 's/.* bad=([0-9]+).*/\1/' <<<"$line")
	errors=$(sed -E 's/.* errors=([0-9]+).*/\1/' <<<"$line")
	if [[ $label != warmup ]]; then
		printf '== %s %s\n' "$name" "$label"
		grep -v '^BENCH ' <<<"$out" | sed 's/^/   /'
		printf '   -> %s req/s, latency avg %s us, p50 %s us, p99 %s us\n' "$RPS" "$AVG" "$P50" "$P99"
	fi
	if ((bad > 0 || errors > 0)); then
		log "$name ($label): $bad bad answer(s), $errors error(s)"
		failed=1
	fi
}

log "warming up 2 s each"
run_wrk ceiling "$ceiling_port" 2 warmup
run_wrk mvapi "$mvapi_port" 2 warmup

declare -A best=([ceiling]=0 [mvapi]=0)
declare -A rounds=()
for round in 1 2; do
	for name in ceiling mvapi; do
		port_var=${name}_port
		run_wrk "$name" "${!port_var}" "$SECONDS_PER_RUN" "round $round"
		rounds[$name.$round]=$RPS
		if awk -v a="$RPS" -v b="${best[$name]}" 'BEGIN { exit !(a > b) }'; then
			best[$name]=$RPS
		fi
	done
done

echo
echo "== summary (wrk -t$THREADS -c$CONNS -d${SECONDS_PER_RUN}s, $USERS users, balance with authpwd)"
printf '   ceiling: %10.0f %10.0f req/s  best %.0f\n' "${rounds[ceiling.1]}" "${rounds[ceiling.2]}" "${best[ceiling]}"
printf '   mvapi:   %10.0f %10.0f req/s  best %.0f\n' "${rounds[mvapi.1]}" "${rounds[mvapi.2]}" "${best[mvapi]}"
awk -v m="${best[mvapi]}" -v c="${best[ceiling]}" \
	'BEGIN { if (c <= 0) { print "   ratio mvapi/ceiling: n/a"; exit } printf "   ratio mvapi/ceiling: %.3f (target >= 0.90)\n", m / c }'

if ((failed)); then
	die "some requests failed or were answered wrongly"
fi
