package engine

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"mvapi/schema"
)

// OptionType is the type of a global config value.
type OptionType int

// Option types.
const (
	TypeString OptionType = iota
	TypeInt
	TypeBool
	TypeFloat
	TypeIPList
)

func (t OptionType) String() string {
	return [...]string{"string", "int", "bool", "float", "iplist"}[t]
}

// Option describes one global config option: its name (as in
// tb_globalconfig.name), type, default and what it does.
type Option struct {
	Name    string
	Type    OptionType
	Default string
	Doc     string
	// Secret options are never printed in full.
	Secret bool
	// Choices, when set, are the only values allowed (case-insensitive).
	Choices []string
	// Range, when set, bounds an int option (the reference's documented
	// values); Ints, when set, lists the only int values allowed. A value
	// outside is refused wherever it comes from (--set, MVAPI_<NAME>,
	// tb_globalconfig, reload).
	Range *IntRange
	Ints  []int
	// Check, when set, checks the value's syntax beyond its type (a
	// list with a grammar of its own), with the same refusal.
	Check func(string) error
}

// IntRange is the closed interval of an int option's values.
type IntRange struct{ Min, Max int }

func between(lo, hi int) *IntRange { return &IntRange{lo, hi} }

// optionAliases are the reference's old names of options: a value given
// under the old name counts for the new one unless the new name is given
// in the same place (tb_globalconfig, the environment or --set).
var optionAliases = map[string]string{"httpapikey": "apiv2key"}

// ConfigOptions is the one registry of every global config option mvapi reads.
// Defaults that differ from the reference say why in Doc.
var ConfigOptions = []Option{
	{Name: "apiv2key", Type: TypeString, Secret: true, Doc: "API key the authkey parameter must match (old name httpapikey). A random one is stored on first start; empty means no key is checked."},
	{Name: "apiv2md5salt", Type: TypeString, Secret: true, Doc: "Server salt concatenated into authmd5 (serversalt). Empty unless configured, as the WebPhone expects."},
	{Name: "apiv2ipauth", Type: TypeIPList, Doc: "IPs or CIDRs allowed for entries with req_ip=1, besides trusted IPs. Empty means trusted IPs only."},
	{Name: "trustediplist", Type: TypeIPList, Doc: "IPs or CIDRs trusted like localhost (for example your web server). Comma separated."},
	{Name: "trustlanip", Type: TypeBool, Default: "0", Doc: "Trust private/LAN addresses (0/1 or false/true). Reference default 1; mvapi defaults to 0 because trust grants admin rights without credentials, and containers and shared networks put strangers on the LAN."},
	{Name: "allowtrustedip", Type: TypeInt, Range: between(0, 4), Default: "3", Doc: "Which trust applies: 0=none, 1=loopback only, 2=loopback and private IPs, 3=also trustediplist (default), 4=everywhere including the admin console."},
	{Name: "apitrustediponly", Type: TypeBool, Default: "0", Doc: "1: answer API requests from trusted IPs only."},
	{Name: "apideftrustadmin", Type: TypeInt, Range: between(0, 4), Default: "1", Doc: "How admins are recognised: 0=credentials only, trust gives no admin, 1=a trusted IP is admin without credentials (default), 2=admin entries from trusted IPs only, no credentials, 3=admin credentials always, 4=trusted IP and admin credentials."},
	{Name: "apialtauth", Type: TypeInt, Range: between(-1, 1), Default: "-1", Doc: "Alternative authentication: -1=auto (per req_user_mode), 0=strict username and password only, 1=allow all modes (PIN, id, clear text)."},
	{Name: "apiv2auth", Type: TypeInt, Ints: []int{0, 2, 4, 6}, Default: "2", Doc: "Default req_user_mode: 2=username or id with password or PIN, 4=username, id or PIN (a PIN alone authenticates), 6=username and password only."},
	{Name: "httpstrictresponse", Type: TypeBool, Default: "0", Doc: "1: the HTTP status is the API code (200 or 499); 0: always HTTP 200 with the code in the body."},
	{Name: "enablejsonp", Type: TypeInt, Range: between(0, 2), Default: "1", Doc: "JSONP answers (format=jsonp or a callback parameter): 0=off, 1=on, 2=also the jppget forwarder."},
	{Name: "mainaport", Type: TypeInt, Range: between(0, 65535), Default: "8080", Doc: "TCP port of the shared service port: HTTP, WebSocket, TLS (with tlscertfile/tlskeyfile) and raw API lines on one port, told apart by their first bytes (reference default 80; mvapi uses 8080 so it runs without root). --listen overrides it."},
	{Name: "usemainaport", Type: TypeBool, Default: "1", Doc: "0 (or false): do not open the shared service port (mainaport or --listen) nor its UDP; only the separate ports (tcpport, udpport, sslportmain, adminport) serve, on the host of --listen."},
	{Name: "mainaportudp", Type: TypeInt, Default: "0", Range: between(-1, 65535), Doc: "UDP API port beside the shared service port: 0 (default) = the same port number as mainaport (or --listen), -1 = no UDP there, else that port. Datagrams of at most 1490 bytes (see udpport)."},
	{Name: "mvweb", Type: TypeBool, Default: "1", Doc: "1: serve the files of filestoragedir as static files under /mvweb/ (GET and HEAD, no directory listing, Range, ETag and Last-Modified), the reference's fast web service for static files."},
	{Name: "mincreditonroute", Type: TypeFloat, Default: "0", Doc: "Minimum credit for entries with req_user_credit=2."},
	{Name: "apidefneedregister", Type: TypeInt, Range: between(0, 2), Default: "0", Doc: "Default req_user_register: 0=no, 1=user must be registered (tb_users.status>0, statusdate within registerexpiry), 2=also from the registered IP."},
	{Name: "apidefneedlogin", Type: TypeInt, Range: between(0, 5), Default: "0", Doc: "Default req_user_login (nonce from preauth): 0=no, 1=required from untrusted IPs, 2=required, 3=required and from the IP that asked for it; a nonce is single-use. 4 and 5 (mvapi) are 2 and 3 with session nonces, reusable until nonceexpiry."},
	{Name: "registerexpiry", Type: TypeInt, Range: between(1, 1<<30), Default: "8640", Doc: "Seconds a registration (tb_users.statusdate) counts as current; 8640 is the reference's getdate()-0.1."},
	{Name: "nonceexpiry", Type: TypeInt, Range: between(1, 1<<30), Default: "3600", Doc: "Seconds a preauth nonce stays valid."},
	{Name: "httpapiencryptkey", Type: TypeString, Default: "aJ6aqK4Nah3hnP7aht", Secret: true, Doc: "XOR key of mcrfs and oenc1_ values; the default is the Mizu WebPhone's."},
	{Name: "customsqlworkers", Type: TypeInt, Default: "4", Doc: "Workers running asynchronous customsql (read at start)."},
	{Name: "customsqlqueue", Type: TypeInt, Default: "1000", Doc: "Asynchronous customsql statements that may wait; beyond it requests answer ERROR (read at start)."},
	{Name: "sqltimeout", Type: TypeInt, Default: "15", Doc: "Seconds a customsql statement (and a SQL action, a {select ...} sub-query) may run: the customsql statement timeout; the database cancels it after that."},
	{Name: "customsqlconns", Type: TypeInt, Default: "-1", Doc: "Connections of customsql's own pool (customsql, SQL actions, {select ...} sub-queries), apart from the pool of authentication and built-ins, so a slow DBA query never takes their connections; -1 = 2 on SQLite, 4 on PostgreSQL and SQL Server; 0 = share the main pool (no isolation). Applied when the config is loaded (start, reload)."},
	{Name: "dbmaxconns", Type: TypeInt, Default: "0", Doc: "Most open database connections of this node; 0 = 16 on PostgreSQL and SQL Server (three nodes fit a default max_connections=100), 2 per CPU (at least 4) on SQLite. Applied when the config is loaded (start, reload)."},
	{Name: "dbmaxidleconns", Type: TypeInt, Default: "0", Doc: "Database connections kept open while idle; 0 = as many as dbmaxconns (no connection churn under load)."},
	{Name: "adminport", Type: TypeInt, Range: between(0, 65535), Default: "0", Doc: "TCP port of the admin console (line based, for nc or telnet); 0 turns it off."},
	{Name: "remoteadmin", Type: TypeInt, Range: between(0, 5), Default: "5", Doc: "Who may connect to the admin console: 0 nobody, 1 localhost, 2 this machine's addresses, 3 trusted IPs, 4 local LAN and subnet, 5 everywhere (login still required)."},
	{Name: "apitrustfromconsole", Type: TypeInt, Range: between(0, 2), Default: "1", Doc: "Console requests run without key or password: 0 no (they authenticate like any request), 1 as the logged-in user (default; reference: 2), 2 with admin rights. mvapi defaults to 1 so that a support login does not gain admin rights."},
	{Name: "consoleidle", Type: TypeInt, Default: "300", Doc: "Seconds an idle console connection stays open."},
	{Name: "jobtimeout", Type: TypeInt, Default: "600", Doc: "Seconds a scheduled job or task may run; a run older than this no longer blocks the next tick."},
	{Name: "logretentiondays", Type: TypeInt, Default: "30", Doc: "Days job runs (tb_jobruns) and delivered messages (tb_outbox) are kept; the daily maintenance removes older ones."},
	{Name: "lowcreditlimit", Type: TypeFloat, Default: "1", Doc: "Users with sendlowcreditemail set and less credit than this get the daily low-credit email."},
	{Name: "authlockoutfailures", Type: TypeInt, Default: "20", Doc: "Failed authentications from one IP within authlockoutwindow that lock it (trusted IPs never are); 0 turns the lockout off. Shared by every node (tb_authfailures)."},
	{Name: "authlockoutwindow", Type: TypeInt, Default: "300", Doc: "Seconds in which authlockoutfailures failures lock an IP."},
	{Name: "authlockouttime", Type: TypeInt, Default: "900", Doc: "Seconds a locked IP is refused (every request answers ERROR: auth locked)."},
	{Name: "sslportmain", Type: TypeInt, Range: between(0, 65535), Default: "0", Doc: "TCP port of the API over HTTPS (and WebSocket as wss); 0 turns it off (reference default 443: mvapi needs tlscertfile and tlskeyfile first). serve --tls overrides it."},
	{Name: "tlscertfile", Type: TypeString, Doc: "PEM file of the HTTPS certificate chain (read at start)."},
	{Name: "tlskeyfile", Type: TypeString, Doc: "PEM file of the HTTPS private key (read at start)."},
	{Name: "requesttimeout", Type: TypeInt, Default: "10", Doc: "Seconds a request may take in all (database included); past it the answer is ERROR. An unreachable database answers within this bound."},
	{Name: "changepoll", Type: TypeInt, Default: "1", Doc: "Seconds between checks of tb_changes, through which apireload and reload sent to one node reach every node (PostgreSQL also signals at once with NOTIFY)."},
	{Name: "tcpport", Type: TypeInt, Range: between(0, 65535), Default: "0", Doc: "Port of the raw TCP API (one request per line ended by CR/LF, answered in the text format followed by CRLF); 0 turns it off (read at start)."},
	{Name: "udpport", Type: TypeInt, Range: between(0, 65535), Default: "0", Doc: "Port of the UDP API (one request per datagram of at most 1490 bytes, one answer datagram cut at 1490 bytes); 0 turns it off (read at start)."},
	{Name: "udptrust", Type: TypeBool, Default: "0", Doc: "1: UDP requests get IP trust like other transports. Default 0 because a UDP source address can be forged: UDP requests then never count as coming from a trusted IP."},
	{Name: "streamidle", Type: TypeInt, Range: between(1, 1<<30), Default: "300", Doc: "Seconds an idle WebSocket or raw TCP connection stays open."},
	{Name: "maxrequestbytes", Type: TypeInt, Range: between(1, 1<<30), Default: "1048576", Doc: "Largest request body accepted over HTTP, and largest WebSocket message."},
	// Transport security (issue #10).
	{Name: "httphostnames", Type: TypeString, Doc: "Host names (comma separated; .example.com or *.example.com also match the names below) under which HTTP and WebSocket requests may get IP trust, besides IP literals, localhost and *.localhost. A request to any other Host (what a DNS rebinding page sends) is treated like one made by a web page: no IP trust."},
	{Name: "webportal", Type: TypeBool, Default: "1", Doc: "1: serve the enduser portal on /webvoip (and /webvoipportal), a page built only on the API; 0: those paths answer 404."},
	{Name: "webportalkey", Type: TypeBool, Default: "0", Doc: "1: the portal page is given apiv2key and apiv2md5salt (/webvoip/config.json), so users log in with username and password only; anyone who can open the page then learns the key, which becomes a client id, not a secret. 0: the login form asks for the key (or link users to /webvoip/#authkey=KEY, or set req_key=0 on the entries the portal uses)."},
	{Name: "webportalsignup", Type: TypeBool, Default: "0", Doc: "1: the portal shows a sign up form (newuseru; it needs the key like any client)."},
	{Name: "webconsole", Type: TypeBool, Default: "0", Doc: "1: serve the rules console for admins on /console/ of the API port. It logs in with admin credentials per request (authmd5) and changes only through the API's admin entries."},
	{Name: "maxconnections", Type: TypeInt, Range: between(0, 1<<30), Default: "1000", Doc: "Open connections each listener (HTTP, HTTPS, WebSocket, raw TCP, admin console) accepts; more are refused at once. 0 turns the limit off."},
	{Name: "maxconnectionsperip", Type: TypeInt, Range: between(0, 1<<30), Default: "64", Doc: "Open connections one client IP may hold on each listener; more are refused at once. 0 turns the limit off."},
	{Name: "maxnoncesperip", Type: TypeInt, Default: "100", Doc: "Unexpired preauth nonces one client IP may hold; past it preauth answers ERROR until some expire. 0 turns the cap off. Trusted IPs are exempt."},
	{Name: "preauthrate", Type: TypeFloat, Default: "10", Doc: "preauth requests per second one client IP may make (per node, a token bucket of preauthburst); past it preauth answers ERROR: rate limit exceeded. 0 turns it off. Trusted IPs are exempt."},
	{Name: "preauthburst", Type: TypeInt, Default: "20", Doc: "Burst of preauthrate: preauth requests one client IP may make at once."},
	{Name: "ratelimitip", Type: TypeFloat, Default: "100", Doc: "Requests per second one client address (IPv6: one /64) may make, per node; past it requests answer ERROR: rate limit exceeded, retry in N s (HTTP 429 and Retry-After with httpstrictresponse). 0 turns it off. Loopback and trusted addresses are exempt unless ratelimittrusted=1."},
	{Name: "ratelimitipburst", Type: TypeInt, Default: "200", Doc: "Burst of ratelimitip: requests one address may make at once; 0 means twice the rate."},
	{Name: "ratelimituser", Type: TypeFloat, Default: "20", Doc: "Requests per second that may name one user (authid, or the console login), per node; 0 turns it off. Counted before authentication, so requests naming a user from elsewhere count too."},
	{Name: "ratelimituserburst", Type: TypeInt, Default: "40", Doc: "Burst of ratelimituser; 0 means twice the rate."},
	{Name: "ratelimitglobal", Type: TypeFloat, Default: "0", Doc: "Requests per second of all limited clients together, per node; 0 (default) turns it off."},
	{Name: "ratelimitglobalburst", Type: TypeInt, Default: "0", Doc: "Burst of ratelimitglobal; 0 means twice the rate."},
	{Name: "ratelimitentries", Type: TypeString, Check: checkEntryRates, Doc: "Limits per entry for all limited clients together, per node: comma separated entry=rate or entry=rate/burst, e.g. sendsms=1/5,rating=50; a value that does not parse is refused at start and reload. Empty: no entry limits."},
	{Name: "ratelimittrusted", Type: TypeBool, Default: "0", Doc: "1: the rate limits apply to loopback and trusted addresses too."},
	// Admin API (issue #5).
	{Name: "serverdir", Type: TypeString, Default: "files", Doc: "Server folder of putfile/getfile and of the ini files (getini, setini, savesettings, loadinifiles); relative to the working directory. No path can leave it."},
	{Name: "filestoragedir", Type: TypeString, Default: "filestorage", Doc: "Folder of pputfile/pgetfile (the reference's mvweb/filestorage); relative to the working directory. No path can leave it."},
	{Name: "maxfilebytes", Type: TypeInt, Default: "4194304", Doc: "Largest file putfile/pputfile store and getfile/pgetfile answer, and largest ini file; an HTTP upload is also bounded by maxrequestbytes."},
	{Name: "inifile", Type: TypeString, Default: "mvapi.ini", Doc: "Default ini file of getini/setini/savesettings/saveinifiles/loadinifiles: a plain .ini file name in serverdir."},
	{Name: "backupdir", Type: TypeString, Default: "backup", Doc: "Folder where dbbackup writes and dbrestore reads SQLite backups (plain file names only); relative to the working directory."},
	{Name: "deviceid", Type: TypeString, Doc: "This installation's id, answered by the deviceid entry. A random one is stored in tb_globalconfig on first use."},
	// User API (issue #3).
	{Name: "callbackaccessnumber", Type: TypeString, Doc: "The number users dial for callback, answered by callbackaccessnumber and included by sendccinfo. Empty: callbackaccessnumber answers ERROR."},
	{Name: "ccgatewayurl", Type: TypeString, Doc: "HTTP(S) URL of the card payment gateway cccharge posts to (JSON, see README). Empty: cccharge answers ERROR."},
	{Name: "ccgatewaykey", Type: TypeString, Secret: true, Doc: "Sent to the payment gateway as Authorization: Bearer KEY when set."},
	{Name: "ccgatewaytimeout", Type: TypeInt, Default: "30", Doc: "Seconds cccharge waits for the payment gateway."},
	{Name: "ccmaxamount", Type: TypeFloat, Default: "500", Doc: "Largest amount one cccharge may charge."},
	{Name: "maxtransfercredit", Type: TypeFloat, Default: "1000", Doc: "Largest amount one transfercredit may move."},
	{Name: "numberlockexpiry", Type: TypeInt, Default: "900", Doc: "Seconds a phone number locked by lockphonenumber stays reserved for the user before it returns to the free pool."},
	{Name: "recordingsfolder", Type: TypeString, Doc: "Folder of the voice recordings (tb_cdrs.recordingfile is relative to it). Empty: voicerecdownload answers ERROR."},
	{Name: "recordingmaxbytes", Type: TypeInt, Default: "52428800", Doc: "Largest download voicerecdownload answers (one file or the zip)."},
	{Name: "faxfolder", Type: TypeString, Doc: "Folder of the files sendfax may send (a plain file name in it). Empty: sendfax answers ERROR."},
	{Name: "switch", Type: TypeString, Default: "none", Choices: []string{"none", "kamailio"}, Doc: "The SIP switch mvapi works with: none (default: switch entries queue rows in tb_switchrequests; registrations are read from tb_users.status) or kamailio (registrations, status and unreg through Kamailio's JSON-RPC at kamrpc; README, The switch (Kamailio))."},
	{Name: "kamrpc", Type: TypeString, Default: "http://127.0.0.1:5071/RPC", Doc: "URL of Kamailio's JSON-RPC (xhttp + jsonrpcs, as the shipped switchboard/kamailio.cfg listens) used when switch=kamailio; keep it on loopback or a private network."},
	{Name: "kamsip", Type: TypeString, Default: "127.0.0.1:5060", Doc: "IP:PORT of Kamailio's SIP (UDP) listener, where the switch worker sends the INVITEs of p2p and callback when switch=kamailio."},
	{Name: "switchsiplisten", Type: TypeString, Default: "127.0.0.1:0", Doc: "UDP IP:PORT the switch worker's SIP user agent listens on (third-party call control of p2p and callback; port 0: any free port); Kamailio must reach it (read when the first call starts)."},
	{Name: "switchwaitmax", Type: TypeInt, Default: "30", Doc: "Most seconds p2p/callback with waitfor wait for the switch to report on the request."},
	{Name: "confroomprefix", Type: TypeString, Default: "9", Doc: "Prefix of conference room numbers made by getconfroom (prefix + 6 digits)."},
	{Name: "offlinemsgmax", Type: TypeInt, Default: "100", Doc: "Most undelivered chat messages (sendim) kept per recipient; beyond it sendim answers ERROR."},
	{Name: "pwdanswermaxfails", Type: TypeInt, Default: "5", Doc: "Wrong forgotpasswordanswer attempts after which the account's recovery is locked until an admin resets pwdanswerfails."},
	// Actions and the outbox (issue #4, package actions).
	{Name: "smtphost", Type: TypeString, Doc: "SMTP server of email actions and sendmail/asendemail. Empty: email is off (email rows fail to compile)."},
	{Name: "smtpport", Type: TypeInt, Range: between(1, 65535), Default: "587", Doc: "SMTP port: 587 for starttls, 465 for tls, 25 for none."},
	{Name: "smtpuser", Type: TypeString, Doc: "SMTP user name; empty: no authentication."},
	{Name: "smtppassword", Type: TypeString, Secret: true, Doc: "SMTP password (never logged)."},
	{Name: "smtpfrom", Type: TypeString, Doc: "From address of every email, e.g. mvapi@example.com. Required for email."},
	{Name: "smtptls", Type: TypeString, Default: "starttls", Choices: []string{"none", "starttls", "tls"}, Doc: "none (plain text; a password is then sent to localhost only), starttls (required, the default) or tls (implicit TLS, port 465)."},
	{Name: "smtptimeout", Type: TypeInt, Default: "30", Doc: "Seconds one SMTP delivery may take."},
	{Name: "adminemail", Type: TypeString, Doc: "Recipient of email actions without a ***TO line."},
	{Name: "adminphone", Type: TypeString, Doc: "Recipient of SMS actions without a ***TO line."},
	{Name: "smsgatewayurl", Type: TypeString, Secret: true, Doc: "HTTP(S) SMS gateway URL; {to}, {from}, {text}, {unicode} (0/1) and {key} (idempotency key) are replaced URL-encoded. Empty: SMS is off. Never logged (it often holds an api key)."},
	{Name: "smsgatewaymethod", Type: TypeString, Default: "GET", Choices: []string{"GET", "POST"}, Doc: "GET (placeholders in the URL) or POST (also a form body to, from, text, unicode, key)."},
	{Name: "smsgatewayauth", Type: TypeString, Secret: true, Doc: "Gateway credentials: user:password (HTTP Basic) or Bearer TOKEN. Never logged."},
	{Name: "smsgatewaysuccess", Type: TypeString, Doc: "Text a 2xx gateway answer must contain to count as sent (e.g. OK); empty: any 2xx. A 2xx without it, a 3xx or a 4xx is a permanent failure; 5xx, 408, 429 and network errors are retried."},
	{Name: "smsgatewaytimeout", Type: TypeInt, Default: "15", Doc: "Seconds one gateway request may take."},
	{Name: "smsfrom", Type: TypeString, Doc: "Default SMS sender when the request names none."},
	{Name: "smssyncwait", Type: TypeInt, Default: "10", Doc: "Seconds sendsmssync, sendsmsunicodesync and asendsmssync wait for the gateway before answering queued for retry."},
	{Name: "outboxworkers", Type: TypeInt, Default: "2", Doc: "Outbox delivery workers per node (read at start)."},
	{Name: "outboxpollms", Type: TypeInt, Default: "1000", Doc: "Milliseconds between outbox polls (new messages of this node wake the workers at once)."},
	{Name: "outboxmaxattempts", Type: TypeInt, Default: "10", Doc: "Delivery attempts before a message becomes a dead letter and the entry's failure action fires."},
	{Name: "outboxbackoffms", Type: TypeInt, Default: "30000", Doc: "Milliseconds before the first retry; doubled after each failed attempt."},
	{Name: "outboxbackoffmaxms", Type: TypeInt, Default: "3600000", Doc: "Longest wait between two attempts, in milliseconds."},
	{Name: "allowcmdaction", Type: TypeBool, Default: "0", Doc: "1: allow command actions (custom_action 7/57). Off by default: rows using them fail to compile."},
	{Name: "cmdtimeout", Type: TypeInt, Default: "30", Doc: "Seconds a command action may run before it is killed."},
	{Name: "rebootcommand", Type: TypeString, Doc: "OS command of reboot actions (6/56), e.g. /sbin/reboot; run without a shell. Empty: reboot is off and rows using it fail to compile."},
	{Name: "restartmode", Type: TypeString, Default: "reexec", Choices: []string{"reexec", "exit"}, Doc: "After a graceful restart (action 4/54): reexec the binary in place, or exit with status 75 for a supervisor (systemd Restart=on-failure, Docker restart policies)."},
	// Replay and failure actions (issue #10, items 8 and 9).
	{Name: "replayprotect", Type: TypeInt, Default: "1", Choices: []string{"0", "1", "2"}, Doc: "Refuse an authmd5 accepted before within replaywindow (a replayed hash; shared by every node through tb_authseen): 0=off, 1=for admin-level users (admin, srvadmin; default), 2=for every user. With 1 or 2 an admin's authmd5 also needs a client salt (authsalt) or a nonce. 2 suits clients that send a fresh random salt per request (the WebPhone); integrations that reuse a fixed salt for endusers need 0 or 1."},
	{Name: "failureactionrate", Type: TypeInt, Default: "10", Doc: "Failure actions (custom_action 51..58) one entry may run per minute on a node, with a burst of as many; beyond it they are skipped and logged (anyone can make an entry fail). 0: no limit."},
	{Name: "failureactioniprate", Type: TypeInt, Default: "3", Doc: "Failure actions the requests of one client IP may cause per minute on a node (all entries together), with a burst of as many. 0: no limit."},
	{Name: "replaywindow", Type: TypeInt, Default: "3600", Doc: "Seconds an accepted authmd5 is remembered for replayprotect; a hash is refused again within this time, and older records are removed."},
	// Several nodes: heartbeats and job leases (issue #14).
	{Name: "nodeheartbeat", Type: TypeInt, Default: "5", Doc: "Seconds between two heartbeats of a node in tb_nodes (written by the scheduler of every serving node)."},
	{Name: "nodelease", Type: TypeInt, Default: "20", Doc: "Seconds without a heartbeat after which a node counts as gone: its unfinished job runs older than this are closed as failed and the next tick runs on another node. At least twice nodeheartbeat; keep node clocks in sync (NTP) well within it."},
	{Name: "customsqldialect", Type: TypeString, Default: "auto", Choices: []string{"auto", "tsql", "native"}, Doc: "How customsql, {select ...} sub-queries, SQL actions and scheduled SQL are read on SQLite and PostgreSQL: auto translates what can only be T-SQL (TOP, WITH(NOLOCK), getdate() ...), tsql also gives + between strings its T-SQL meaning, native runs the text as written. A leading -- dialect: tsql|native comment overrides it per row. SQL Server always runs the text as written."},
	// The DBA loop (issue #11).
	{Name: "strictstart", Type: TypeBool, Default: "0", Doc: "1: a tb_api or tb_scheduledtasks row that does not compile (or that the database refuses to prepare) stops the server from starting. Default 0: the server starts, the good rows serve, each bad row's entry answers ERROR: apientry NAME is not available (misconfigured), is logged as an error and listed by apistatus (read at start)."},
	// Operations (issue #14): admin listener, health, logs, audit.
	{Name: "adminhttpaddr", Type: TypeString, Doc: "Address of the admin HTTP listener serving /live, /ready and /metrics, e.g. 127.0.0.1:9180 (read at start). Empty (the default) turns it off, so several nodes on one machine never collide. Never the public API port: bind it to loopback or a management network."},
	{Name: "readyoutboxstuck", Type: TypeInt, Default: "300", Doc: "Seconds a due outbox message may wait without a worker before /ready answers 503 (outbox stuck); 0 turns the check off."},
	{Name: "logformat", Type: TypeString, Default: "text", Choices: []string{"text", "json"}, Doc: "Log line format on standard error: text (key=value) or json (one object per line). Applied at start and on reload."},
	{Name: "loglevel", Type: TypeString, Default: "info", Choices: []string{"debug", "info", "warn", "error"}, Doc: "Least level logged: debug, info, warn or error. Applied at start and on reload."},
	{Name: "accesslog", Type: TypeBool, Default: "0", Doc: "1: log one line per API request (entry, user, ip, transport, kind, duration, bytes, request id; never parameters or secrets)."},
	{Name: "auditdays", Type: TypeInt, Default: "365", Doc: "Days tb_auditlog rows are kept; the monthly maintenance removes older ones. 0 keeps them forever."},
	// A replicated PostgreSQL, pgbouncer (issue #17).
	{Name: "pgbouncer", Type: TypeBool, Default: "0", Doc: "1: the DSN goes through a transaction pooler (pgbouncer pool_mode=transaction): mvapi keeps no session state and warns at start unless the DSN has default_query_exec_mode=exec or simple_protocol; LISTEN uses listendsn only, else reloads reach this node by polling tb_changes (changepoll). Read at start."},
	{Name: "listendsn", Type: TypeString, Secret: true, Doc: "PostgreSQL DSN of the LISTEN connection that hears reloads of other nodes at once: a direct connection to the primary (a multi-host DSN with target_session_attrs=read-write follows a failover), never through a transaction pooler. Empty: the main DSN (or, with pgbouncer=1, polling only); off: polling only. Read at start."},
	{Name: "readdsn", Type: TypeString, Secret: true, Doc: "DSN of a read replica (PostgreSQL; e.g. a standby, or a multi-host DSN with target_session_attrs=prefer-standby) with a pool of its own: entries that only read (cdr, cdr summaries, search, reports, listusers, and customsql rows with tb_api.readonly=1) use it while it answers and lags at most maxreplicalag; authentication, credit checks, writes and LISTEN stay on the primary. Empty: none. Read at start."},
	{Name: "maxreplicalag", Type: TypeInt, Default: "5", Doc: "Seconds the read replica (readdsn) may be behind the primary, measured every second against the primary's WAL position; a replica further behind or not answering is not used until it catches up (reads go to the primary meanwhile), and one whose connection fails during a read is set aside at once (the read runs again on the primary)."},
	{Name: "reqiddays", Type: TypeInt, Default: "7", Doc: "Days the answers of money-moving requests sent with a request id (reqid, Idempotency-Key; tb_requests) are kept: a retry within that time answers the first outcome, a later one with the same id moves money again. The hourly maintenance removes older ones in batches of 1,000 rows. 0 keeps them forever."},
}

var optionByName = func() map[string]*Option {
	m := make(map[string]*Option, len(ConfigOptions))
	for i := range ConfigOptions {
		m[ConfigOptions[i].Name] = &ConfigOptions[i]
	}
	return m
}()

// LookupOption returns the registered option called name (or by one of
// its old names, such as httpapikey for apiv2key).
func LookupOption(name string) (*Option, bool) {
	name = strings.ToLower(name)
	if canon, ok := optionAliases[name]; ok {
		name = canon
	}
	o, ok := optionByName[name]
	return o, ok
}

// setValue stores a value read from src under its option's current name:
// an old name (httpapikey) does not override the new one (apiv2key) given
// in the same place.
func setValue(values, source map[string]string, name, value, src string) {
	name = strings.ToLower(strings.TrimSpace(name))
	if canon, ok := optionAliases[name]; ok {
		if source[canon] == src+"!" {
			return // the new name was given here too: it wins
		}
		values[canon], source[canon] = value, src
		return
	}
	values[name], source[name] = value, src
	if _, ok := optionByName[name]; ok {
		source[name] = src + "!" // given under its own name
	}
}

// Config is one immutable snapshot of the global config: the registry's
// defaults, then tb_globalconfig, then MVAPI_<NAME> variables, then --set.
type Config struct {
	values map[string]string
	source map[string]string // where a value came from, when not the default (Source)

	APIKey, MD5Salt, XORKey              string
	IPAuth, TrustedIPs                   []netip.Prefix
	TrustLAN, TrustedIPOnly, Strict      bool
	AllowTrustedIP, DefTrustAdmin        int
	AltAuth, DefUserMode                 int
	JSONP, DefNeedRegister, DefNeedLogin int
	MinCreditOnRoute                     float64
	RegisterExpiry, NonceExpiry          int
	SQLTimeout                           int
	RequestTimeout                       time.Duration
	AccessLog                            bool // accesslog=1
}

// Get returns the value of an option (registered or not) as text.
func (c *Config) Get(name string) string { return c.values[strings.ToLower(name)] }

// Int returns an option as an integer, 0 when it is not a number.
func (c *Config) Int(name string) int {
	v, _ := strconv.Atoi(strings.TrimSpace(c.Get(name)))
	return v
}

// Float returns an option as a number, 0 when it is not one.
func (c *Config) Float(name string) float64 {
	v, _ := strconv.ParseFloat(strings.TrimSpace(c.Get(name)), 64)
	return v
}

// Names lists every option that has a value, sorted.
func (c *Config) Names() []string {
	out := make([]string, 0, len(c.values))
	for k := range c.values {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// LoadConfig reads tb_globalconfig and applies environment and command line
// overrides (name=value). A value that does not parse as its type is an
// error naming the option and where it came from. It sizes db's connection
// pool by dbmaxconns and dbmaxidleconns.
func LoadConfig(ctx context.Context, db *schema.DB, overrides map[string]string) (*Config, error) {
	values := make(map[string]string, len(ConfigOptions))
	for _, o := range ConfigOptions {
		values[o.Name] = o.Default
	}
	source := map[string]string{}
	if db != nil {
		rows, err := db.QueryxContext(ctx, globalConfigSQL(db.Dialect))
		if err != nil {
			return nil, fmt.Errorf("load tb_globalconfig: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var name, value string
			if err := rows.Scan(&name, &value); err != nil {
				return nil, fmt.Errorf("load tb_globalconfig: %w", err)
			}
			setValue(values, source, name, value, "tb_globalconfig")
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("load tb_globalconfig: %w", err)
		}
	}
	for old := range optionAliases {
		if v, ok := os.LookupEnv("MVAPI_" + strings.ToUpper(old)); ok {
			setValue(values, source, old, v, "MVAPI_"+strings.ToUpper(old))
		}
	}
	for _, o := range ConfigOptions {
		if v, ok := os.LookupEnv("MVAPI_" + strings.ToUpper(o.Name)); ok {
			setValue(values, source, o.Name, v, "MVAPI_"+strings.ToUpper(o.Name))
		}
	}
	for k, v := range overrides {
		if _, ok := optionAliases[strings.ToLower(k)]; ok {
			setValue(values, source, k, v, "--set")
		}
	}
	for k, v := range overrides {
		if _, ok := optionAliases[strings.ToLower(k)]; !ok {
			setValue(values, source, k, v, "--set")
		}
	}
	for k, v := range source {
		source[k] = strings.TrimSuffix(v, "!")
	}
	c, err := newConfig(values, source)
	if err == nil && db != nil {
		db.SetPool(c.Int("dbmaxconns"), c.Int("dbmaxidleconns"))
	}
	return c, err
}

func newConfig(values, source map[string]string) (*Config, error) {
	c := &Config{values: values, source: source}
	var errs []string
	for _, o := range ConfigOptions {
		if o.Type == TypeBool {
			values[o.Name] = normalizeBool(values[o.Name])
		}
		if err := checkType(o, values[o.Name]); err != nil {
			from := source[o.Name]
			if from == "" {
				from = "default"
			}
			errs = append(errs, fmt.Sprintf("option %s=%q (from %s): %v", o.Name, values[o.Name], from, err))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("global config: %s", strings.Join(errs, "; "))
	}
	c.APIKey = c.Get("apiv2key")
	c.MD5Salt = c.Get("apiv2md5salt")
	c.XORKey = c.Get("httpapiencryptkey")
	c.IPAuth, _ = ParseIPList(c.Get("apiv2ipauth"))
	c.TrustedIPs, _ = ParseIPList(c.Get("trustediplist"))
	c.TrustLAN = c.Int("trustlanip") != 0
	c.TrustedIPOnly = c.Int("apitrustediponly") != 0
	c.Strict = c.Int("httpstrictresponse") != 0
	c.AllowTrustedIP = c.Int("allowtrustedip")
	c.DefTrustAdmin = c.Int("apideftrustadmin")
	c.AltAuth = c.Int("apialtauth")
	c.DefUserMode = c.Int("apiv2auth")
	c.JSONP = c.Int("enablejsonp")
	c.DefNeedRegister = c.Int("apidefneedregister")
	c.DefNeedLogin = c.Int("apidefneedlogin")
	c.MinCreditOnRoute, _ = strconv.ParseFloat(strings.TrimSpace(c.Get("mincreditonroute")), 64)
	c.RegisterExpiry = c.Int("registerexpiry")
	c.NonceExpiry = c.Int("nonceexpiry")
	c.SQLTimeout = c.Int("sqltimeout")
	c.RequestTimeout = time.Duration(c.Int("requesttimeout")) * time.Second
	c.AccessLog = c.Int("accesslog") != 0
	return c, nil
}

func checkType(o Option, v string) error {
	v = strings.TrimSpace(v)
	if len(o.Choices) > 0 {
		for _, c := range o.Choices {
			if strings.EqualFold(c, v) {
				return nil
			}
		}
		return fmt.Errorf("want one of %s", strings.Join(o.Choices, ", "))
	}
	if o.Check != nil && v != "" {
		if err := o.Check(v); err != nil {
			return err
		}
	}
	switch o.Type {
	case TypeInt:
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("want a whole number")
		}
		return checkRange(o, n)
	case TypeBool:
		if v != "0" && v != "1" {
			return fmt.Errorf("want 0 or 1 (or false/true)")
		}
	case TypeFloat:
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return fmt.Errorf("want a number")
		}
	case TypeIPList:
		if _, err := ParseIPList(v); err != nil {
			return err
		}
	}
	return nil
}

// checkRange refuses an int outside the option's documented values.
func checkRange(o Option, n int) error {
	if r := o.Range; r != nil && (n < r.Min || n > r.Max) {
		return fmt.Errorf("want %d to %d", r.Min, r.Max)
	}
	if len(o.Ints) > 0 {
		for _, allowed := range o.Ints {
			if n == allowed {
				return nil
			}
		}
		s := make([]string, len(o.Ints))
		for i, allowed := range o.Ints {
			s[i] = strconv.Itoa(allowed)
		}
		return fmt.Errorf("want one of %s", strings.Join(s, ", "))
	}
	return nil
}

// normalizeBool reads the reference's spellings of a boolean (true/false,
// yes/no, on/off, any case) as 1/0; anything else is left for checkType.
func normalizeBool(v string) string {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return "1"
	case "0", "false", "no", "off":
		return "0"
	}
	return v
}

// ParseIPList parses a comma (or space) separated list of IPs and CIDRs.
func ParseIPList(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("bad CIDR %q", f)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("bad IP %q", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func inList(list []netip.Prefix, ip netip.Addr) bool {
	for _, p := range list {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

var globalConfigSQL = schema.Statement("SELECT name, value FROM tb_globalconfig")
