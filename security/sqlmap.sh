#!/usr/bin/env bash
# security/sqlmap.sh (make sqlmap): Debian's sqlmap at level 5 / risk 3
# against DBA-style customsql rows of tb_api and against built-ins that take
# user text, on SQLite and on PostgreSQL. Prints, per database, how many
# parameters were tested and how many sqlmap reports injectable; exits 1
# when any is injectable (2 when the run itself failed).
#
#   make sqlmap
#   SQLMAP_DBS=sqlite bash security/sqlmap.sh        # one database only
#   SQLMAP_PG=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
#   SQLMAP_TARGET_TIMEOUT=180 SQLMAP_BUDGET=840 SQLMAP_TIMESEC=6
#   SQLMAP_KEEP=1   keep the temporary folder (sqlmap logs, server log)
#   SQLMAP_ONLY="rating getfield_admin"   only these targets
#
# For each database: a fresh database (SQLite file in a temporary folder;
# PostgreSQL: CREATE DATABASE mvapi_sqlmap_PID on SQLMAP_PG's server,
# dropped on exit), `serve --demo` once to migrate and seed it, then the
# rows below are inserted directly (as a DBA would) plus an admin user, and
# the server is started again for the attack with
#   allowtrustedip=0        loopback is not trusted: every request
#                           authenticates (authkey + authid + authpwd)
#   ratelimitip=0 ratelimituser=0 ratelimitglobal=0 preauthrate=0
#   authlockoutfailures=0 maxconnectionsperip=0 maxnoncesperip=0
#                           no rate limit or lockout stops sqlmap early
#   smsgatewayurl=...       so that sendsms reaches its handler (the outbox
#                           fails to deliver; that is not tested here)
# Each target is one sqlmap run (-p lists its parameters) bounded by
# `timeout SQLMAP_TARGET_TIMEOUT`; a database's targets together stop
# starting after SQLMAP_BUDGET seconds (the rest are reported as skipped).
# A parameter counts as tested when sqlmap finished it (a verdict in its
# log); started but cut off by the timeout is reported as unfinished.
#
# Needs: go, sqlite3, psql (for PostgreSQL), sqlmap (installed with apt-get
# when missing and run as root). Loopback only.
set -uo pipefail
cd "$(dirname "$0")/.."

DBS=${SQLMAP_DBS:-sqlite postgres}
PG=${SQLMAP_PG:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
TTIMEOUT=${SQLMAP_TARGET_TIMEOUT:-180}
BUDGET=${SQLMAP_BUDGET:-840}
TIMESEC=${SQLMAP_TIMESEC:-6}
TECH=${SQLMAP_TECHNIQUE:-BEUSTQ}

need_pkg() { # command package
	command -v "$1" >/dev/null && return 0
	if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
		echo "installing $2 (apt-get)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y "$2" >/dev/null 2>&1 ||
			{ apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y "$2" >/dev/null 2>&1; }
	fi
	command -v "$1" >/dev/null || { echo "sqlmap.sh: $1 is missing: sudo apt-get install -y $2" >&2; exit 2; }
}
need_pkg sqlmap sqlmap
need_pkg sqlite3 sqlite3
need_pkg timeout coreutils
[[ $DBS == *postgres* ]] && need_pkg psql postgresql-client

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mvapi-sqlmap.XXXXXX")
pgdb="mvapi_sqlmap_$$"
pgcreated=0
pid=''
stop_server() {
	if [[ -n $pid ]]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		pid=''
	fi
	return 0
}
cleanup() {
	stop_server
	if [[ $pgcreated == 1 ]]; then
		psql -q "$PG" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1 ||
			echo "sqlmap.sh: could not drop database $pgdb" >&2
	fi
	if [[ ${SQLMAP_KEEP:-0} == 1 ]]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

go build -o "$tmp/mvapi" ./cmd/mvapi || exit 2
smver=$(sqlmap --version 2>/dev/null | grep -o "^[0-9][0-9.]*[^ ]*" | head -1)
echo "sqlmap $smver; level 5, risk 3, --threads 2, --technique=$TECH, --time-sec $TIMESEC, per target timeout ${TTIMEOUT}s, budget ${BUDGET}s per database"

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

start_server() { # dsn port log [serve args...]
	local dsn=$1 port=$2 log=$3
	shift 3
	"$tmp/mvapi" serve --db "$dsn" --listen "127.0.0.1:$port" "$@" >"$log" 2>&1 &
	pid=$!
	for _ in $(seq 1 150); do
		curl -s -m 2 "http://127.0.0.1:$port/mvapireq/?apientry=apitest1" 2>/dev/null | grep -q '^OK' && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	echo "sqlmap.sh: server did not start:" >&2
	tail -20 "$log" >&2
	exit 2
}

# The DBA's rows. Each is SQL text that works on SQLite and PostgreSQL
# (sm_tsql is T-SQL, translated by customsqldialect=auto).
rows_sql() {
	cat <<'EOF'
INSERT INTO tb_api (fname, customsql, description) VALUES
('sm_calls', 'SELECT datum, called, duration FROM tb_cdrs WHERE callerid = [USERID] AND called LIKE ''[SPARAM1]%''', 'README example: prefix LIKE'),
('sm_like', 'SELECT username, name FROM tb_users WHERE name LIKE ''%[SPARAM1]%'' OR username = ''[SPARAM2]'' ORDER BY id', 'keyword inside a LIKE literal and a quoted literal'),
('sm_num', 'SELECT id, called, duration FROM tb_cdrs WHERE callerid = [USERID] AND duration > [SPARAM1] ORDER BY id', 'unquoted numeric keyword'),
('sm_param', 'SELECT id, called, cost FROM tb_cdrs WHERE callerid = {userid} AND (called = {param:dest} OR caller = {caller}) ORDER BY id', '{param:name}, {name} of the request, {userid} of the user'),
('sm_upd', '*UPDATE tb_users SET displayname = ''[SPARAM1]'' WHERE id = [USERID]', 'synchronous UPDATE'),
('sm_multi', '*UPDATE tb_users SET displayname = ''[SPARAM1]'' WHERE id = [USERID]; SELECT displayname, name FROM tb_users WHERE id = [USERID] AND name LIKE ''%[SPARAM2]%''', 'two statements, each bound'),
('sm_tsql', 'SELECT TOP ([SPARAM2]) datum, called FROM tb_cdrs WHERE callerid = [USERID] AND called LIKE ''[SPARAM1]%'' AND datum < getdate() ORDER BY datum DESC', 'T-SQL: TOP (keyword), getdate()'),
('sm_case', 'SELECT CASE WHEN ''[SPARAM1]'' = ''x'' THEN ''yes'' ELSE ''no'' END AS r, [USERNAME] AS u', 'keyword in a CASE literal');
EOF
}

# Targets: name|entry and fixed parameters|parameters sqlmap tests|auth
# auth: user (1111/demo1111), admin (smadmin), key (authkey only)
targets() {
	cat <<'EOF'
sm_calls|apientry=sm_calls&sparam1=36|sparam1|user
sm_like|apientry=sm_like&sparam1=Demo&sparam2=2222|sparam1,sparam2|user
sm_num|apientry=sm_num&sparam1=0|sparam1|user
sm_param|apientry=sm_param&dest=36301234567&caller=1111&userid=1|dest,caller,userid|user
sm_upd|apientry=sm_upd&sparam1=Alice|sparam1|user
sm_multi|apientry=sm_multi&sparam1=Bob&sparam2=Demo|sparam1,sparam2|user
sm_tsql|apientry=sm_tsql&sparam1=36&sparam2=5|sparam1,sparam2|user
sm_case|apientry=sm_case&sparam1=x|sparam1|user
rating|apientry=rating&bnum=38970123456|bnum|user
cdr_filter|apientry=cdr&caller=1111&called=36301234567&prefix=36&fromdt=2020-01-01&todt=2030-01-01&order=date&days=lastmonth|caller,called,prefix,fromdt|user
cdr_order|apientry=cdr&caller=1111&called=36301234567&prefix=36&fromdt=2020-01-01&todt=2030-01-01&order=date&days=lastmonth|todt,order,days|user
cdr_by|apientry=cdr&called=36301234567&by=called&days=lastmonth|by|user
search|apientry=search&search=22&maxcount=10|search,maxcount|user
setfield_user|apientry=setfield&fieldname=displayname&fieldvalue=Carol|fieldname,fieldvalue|user
getfield_admin|apientry=getfield&table=tb_users&retfieldname=name&filterfieldname=username&filterfieldvalue=2222|table,retfieldname,filterfieldname,filterfieldvalue|admin
setfield_admin|apientry=setfield&table=tb_users&fieldname=displayname&fieldvalue=Dave&rowid=2|table,fieldname,fieldvalue,rowid|admin
listusers|apientry=listusers&u_type=all&u_maxcount=10&u_order=username|u_type,u_maxcount,u_order|admin
verifyuser|apientry=verifyuser&userusername=2222|userusername|user
presence_get|apientry=presence_get&userlist=2222,3333|userlist|user
balance|apientry=balance&authid=1111&authpwd=demo1111|authid,authpwd,authkey|key
newuseru|apientry=newuseru&u_username=smnew1&u_password=smpass1&u_name=New&u_email=n@example.com&u_phone=3612345&u_country=HU|u_username,u_name,u_email,u_phone,u_country|key
sendsms|apientry=sendsms&bnum=36301234567&txt=hello|bnum,txt|user
sendim|apientry=sendim&bnum=2222&txt=hello|bnum,txt|user
charge|apientry=charge&pin=123456|pin|user
forgotpassword|apientry=forgotpasswordquestion&email=demo2222@example.com|email|key
EOF
}

sqlmap_run() { # url params technique log
	timeout "$TTIMEOUT" sqlmap -u "$1" -p "$2" --level 5 --risk 3 --threads 2 --batch \
		--technique="$3" --dbms="$dbms" --time-sec "$TIMESEC" --flush-session \
		--output-dir "$tmp/out-$db" --disable-coloring --skip-waf --keep-alive \
		--answers="reduce the number=N,keep testing=Y,skip test payloads=N" \
		</dev/null >"$4" 2>&1
}
found_in() { # log param: sqlmap lists param among the injection points
	sed -n '/identified the following injection point/,$p' "$1" | grep -q "^Parameter: $2 (GET)"
}

total_inj=0
summary=()
run_db() { # name dsn sqlmap-dbms
	local db=$1 dsn=$2 dbms=$3 t0 port key adminpw
	t0=$(date +%s)
	echo
	echo "=== $db"
	port=$(free_port)
	start_server "$dsn" "$port" "$tmp/$db-seed.log" --demo
	stop_server
	adminpw="sm-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
	printf %s "$adminpw" | "$tmp/mvapi" user add --db "$dsn" --username smadmin --type admin --password-stdin >/dev/null || exit 2
	if [[ $db == sqlite ]]; then
		rows_sql | sqlite3 "${dsn#sqlite:}" || exit 2
		key=$(sqlite3 "${dsn#sqlite:}" "SELECT value FROM tb_globalconfig WHERE name='apiv2key'")
	else
		rows_sql | psql -q -v ON_ERROR_STOP=1 "$dsn" >/dev/null || exit 2
		key=$(psql -At "$dsn" -c "SELECT value FROM tb_globalconfig WHERE name='apiv2key'")
	fi
	[[ -n $key ]] || { echo "sqlmap.sh: no apiv2key" >&2; exit 2; }
	port=$(free_port)
	start_server "$dsn" "$port" "$tmp/$db-serve.log" \
		--set allowtrustedip=0 --set ratelimitip=0 --set ratelimituser=0 --set ratelimitglobal=0 \
		--set preauthrate=0 --set authlockoutfailures=0 --set maxconnectionsperip=0 --set maxnoncesperip=0 \
		--set smsgatewayurl='http://127.0.0.1:9/sms?to={to}&text={text}'

	local base="http://127.0.0.1:$port/mvapireq/"
	fpcount=0
	local tested=0 inj=0 unfinished=0 skipped=0 nparams=0 injlist='' unflist='' line name q params auth auth_q url out rc tstart
	while IFS='|' read -r name q params auth; do
		[[ -z $name ]] && continue
		[[ -n ${SQLMAP_ONLY:-} && " $SQLMAP_ONLY " != *" $name "* ]] && continue
		nparams=$((nparams + $(tr ',' '\n' <<<"$params" | wc -l)))
		if (($(date +%s) - t0 > BUDGET)); then
			skipped=$((skipped + $(tr ',' '\n' <<<"$params" | wc -l)))
			echo "  $name: skipped (budget of ${BUDGET}s used up)"
			continue
		fi
		case $auth in
		user) auth_q="authkey=$key&authid=1111&authpwd=demo1111" ;;
		admin) auth_q="authkey=$key&authid=smadmin&authpwd=$adminpw" ;;
		key) auth_q="authkey=$key" ;;
		esac
		url="$base?$q&$auth_q"
		[[ $auth == key ]] && url="$base?$auth_q&$q"
		# the answer before the attack, so that a target that never reaches
		# its handler (misconfigured row, auth failure) is visible
		echo "  $name: baseline: $(curl -s -m 10 "$url" | head -1 | cut -c1-100)"
		out="$tmp/$db-$name.log"
		tstart=$(date +%s)
		sqlmap_run "$url" "$params" "$TECH" "$out"
		rc=$?
		# sqlmap stops testing a parameter once a candidate it found was
		# dismissed as a false positive (typically boolean-based: an answer
		# that differs for a valid and an invalid value, such as an unknown
		# column name). Such parameters get a second run without B so that
		# the other techniques are tried on them too.
		local p done_p inj_p fp=''
		for p in ${params//,/ }; do
			grep -q "GET parameter '$p' appears to be .* injectable" "$out" &&
				! found_in "$out" "$p" && fp+="${fp:+,}$p"
		done
		if [[ -n $fp && $TECH == *B* && ${TECH//B/} != "" ]]; then
			sqlmap_run "$url" "$fp" "${TECH//B/}" "$out.2"
			echo "  $name: second run without B for $fp (a dismissed candidate stopped the first): rc $?"
			fpcount=$((fpcount + $(tr ',' '\n' <<<"$fp" | wc -l)))
		fi
		for p in ${params//,/ }; do
			done_p=0 inj_p=0
			grep -q "GET parameter '$p' does not seem to be injectable" "$out" && done_p=1
			if [[ ,$fp, == *,$p,* ]]; then
				done_p=0
				[[ -f $out.2 ]] && grep -q "GET parameter '$p' does not seem to be injectable" "$out.2" && done_p=1
			fi
			if found_in "$out" "$p" || { [[ -f $out.2 ]] && found_in "$out.2" "$p"; }; then
				done_p=1 inj_p=1
			fi
			if ((inj_p)); then
				inj=$((inj + 1))
				injlist+=" $name:$p"
			fi
			if ((done_p)); then tested=$((tested + 1)); else
				unfinished=$((unfinished + 1))
				unflist+=" $name:$p"
			fi
		done
		echo "  $name: $params: $(($(date +%s) - tstart))s$( ((rc == 124)) && echo ' (timeout)')$( ((rc != 0 && rc != 124)) && echo " (sqlmap exit $rc)")"
		for f in "$out" "$out.2"; do
			[[ -f $f ]] && sed -n '/identified the following injection point/,$p' "$f" | grep -q '^Parameter:' &&
				sed -n '/identified the following injection point/,/^---$/p;/^---$/,/^---$/p' "$f" | sed 's/^/    /' | head -40
		done
	done < <(targets)
	stop_server
	local dur=$(($(date +%s) - t0))
	echo "$db: $tested of $nparams parameters tested, $inj injectable${injlist:+ ($injlist )}, $unfinished unfinished${unflist:+ ($unflist )}, $skipped skipped, $fpcount with a second run, ${dur}s"
	summary+=("$db: parameters tested $tested/$nparams, injectable $inj, unfinished $unfinished, skipped $skipped, second run without B $fpcount, ${dur}s")
	total_inj=$((total_inj + inj))
}

for db in $DBS; do
	case $db in
	sqlite) run_db sqlite "sqlite:$tmp/sqlmap.db" SQLite ;;
	postgres)
		psql -q "$PG" -c "CREATE DATABASE $pgdb" >/dev/null || exit 2
		pgcreated=1
		run_db postgres "$(sed -E "s#/[^/?]*(\?|$)#/$pgdb\1#" <<<"$PG")" PostgreSQL
		;;
	*) echo "sqlmap.sh: unknown database $db (sqlite, postgres)" >&2; exit 2 ;;
	esac
done

echo
echo "sqlmap $smver, level 5, risk 3, technique $TECH, time-sec $TIMESEC"
printf '%s\n' "${summary[@]}"
if ((total_inj > 0)); then
	echo "INJECTABLE: $total_inj (a time-based finding on a loaded machine must be re-checked by hand)"
	exit 1
fi
echo "no injectable parameter"
