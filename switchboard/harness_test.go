package switchboard_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/jmoiron/sqlx"

	"mvapi/engine"
	"mvapi/engine/format"
	"mvapi/engine/wire"
	"mvapi/internal/mvtest"
	"mvapi/schema"
	"mvapi/switchboard"
)

// needKamailio returns the kamailio binary; without one the test skips,
// or fails when CI=true (CI installs it: .ci/run).
func needKamailio(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("kamailio")
	if err == nil {
		return bin
	}
	msg := "kamailio is not installed (apt-get install -y kamailio kamailio-postgres-modules kamailio-sqlite-modules)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + ": CI must install it")
	}
	t.Skip(msg)
	return ""
}

// freePort is a loopback port free on both TCP and UDP.
func freePort(t *testing.T) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(port))
		l.Close()
		if err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("no free loopback port")
	return 0
}

// switchDB is one fresh database mvapi and Kamailio share.
type switchDB struct {
	db     *schema.DB
	kamURL string // Kamailio's URL of it
	module string
	sqlite bool
}

// freshSwitchDB makes a fresh database of kind: a SQLite file in a folder
// Kamailio's user can write, or a PostgreSQL database of its own (Kamailio
// cannot use a search_path schema).
func freshSwitchDB(t *testing.T, kind string) switchDB {
	t.Helper()
	switch kind {
	case "sqlite":
		dir := sharedTempDir(t)
		path := filepath.Join(dir, "mvapi.db")
		db := mvtest.MustOpen(t, "sqlite:"+path)
		for _, f := range []string{path, path + "-wal", path + "-shm"} {
			os.Chmod(f, 0o666)
		}
		return switchDB{db: db, kamURL: "sqlite://" + path, module: "db_sqlite.so", sqlite: true}
	case "postgres":
		base := os.Getenv(mvtest.EnvPostgres)
		admin, err := sqlx.Open("pgx", base)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		name := fmt.Sprintf("mvapi_sw_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9)
		if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
			t.Fatalf("create database on %s: %v", mvtest.EnvPostgres, err)
		}
		t.Cleanup(func() {
			a, err := sqlx.Open("pgx", base)
			if err == nil {
				a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
				a.Close()
			}
		})
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/" + name
		db := mvtest.MustOpen(t, u.String())
		k := &url.URL{Scheme: "postgres", User: u.User, Host: u.Host, Path: "/" + name}
		if k.Port() == "" {
			k.Host += ":5432"
		}
		return switchDB{db: db, kamURL: k.String(), module: "db_postgres.so"}
	}
	t.Fatalf("kind %s", kind)
	return switchDB{}
}

// forEachSwitchDB runs fn on SQLite and, with MVAPI_TEST_POSTGRES, on
// PostgreSQL.
func forEachSwitchDB(t *testing.T, fn func(t *testing.T, kind string)) {
	kinds := []string{"sqlite"}
	if os.Getenv(mvtest.EnvPostgres) != "" {
		kinds = append(kinds, "postgres")
	}
	for _, k := range kinds {
		t.Run(k, func(t *testing.T) { fn(t, k) })
	}
}

// kam is one Kamailio started for a test.
type kam struct {
	sip, rpc string // IP:PORT
	rpcURL   string
	log      *lockedBuf
	done     chan struct{}
}

type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// startKamailio runs the shipped config on sd in the foreground on free
// loopback ports (unprivileged when the test runs as root) and waits until
// its JSON-RPC answers.
func startKamailio(t *testing.T, sd switchDB) *kam {
	t.Helper()
	bin := needKamailio(t)
	k := &kam{log: &lockedBuf{}, done: make(chan struct{})}
	k.sip = "127.0.0.1:" + strconv.Itoa(freePort(t))
	k.rpc = "127.0.0.1:" + strconv.Itoa(freePort(t))
	k.rpcURL = "http://" + k.rpc + "/RPC"
	cfg, err := switchboard.Render(switchboard.Settings{DBURL: sd.kamURL, DBModule: sd.module, SIPAddr: k.sip, RPCAddr: k.rpc})
	if err != nil {
		t.Fatal(err)
	}
	dir := sharedTempDir(t)
	path := filepath.Join(dir, "kamailio.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-DD", "-E", "-f", path, "-Y", dir, "-P", filepath.Join(dir, "kamailio.pid"), "-m", "64", "-M", "8"}
	if sd.sqlite {
		args = append(args, "-n", "1") // db_sqlite has no busy timeout
	} else {
		args = append(args, "-n", "2")
	}
	cmd := exec.Command(bin, args...)
	if os.Geteuid() == 0 {
		if sp, err := exec.LookPath("setpriv"); err == nil {
			cmd = exec.Command(sp, append([]string{"--reuid=nobody", "--regid=nogroup", "--clear-groups", bin}, args...)...)
		}
	}
	cmd.Stdout, cmd.Stderr = k.log, k.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(k.done) }()
	t.Cleanup(func() { k.stop(t, cmd) })
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-k.done:
			t.Fatalf("kamailio exited at start:\n%s", tail(k.log.String(), 3000))
		default:
		}
		res, err := http.Post(k.rpcURL, "application/json", strings.NewReader(`{"jsonrpc":"2.0","method":"core.uptime","id":1}`))
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return k
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("kamailio's RPC does not answer: %v\n%s", err, tail(k.log.String(), 3000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (k *kam) stop(t *testing.T, cmd *exec.Cmd) {
	pg := -cmd.Process.Pid
	syscall.Kill(pg, syscall.SIGTERM)
	select {
	case <-k.done:
	case <-time.After(10 * time.Second):
		syscall.Kill(pg, syscall.SIGKILL)
		<-k.done
	}
	if t.Failed() {
		t.Logf("kamailio log:\n%s", tail(k.log.String(), 4000))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// phone is a sipgo user agent listening on its own loopback UDP port.
type phone struct {
	user, pwd string
	port      int
	ua        *sipgo.UserAgent
	client    *sipgo.Client
	server    *sipgo.Server
	kam       *kam

	mu       sync.Mutex
	invites  []string // body of each INVITE received
	acks     []string // body of each ACK received
	byes     int
	sessions []*sipgo.DialogServerSession
}

// phoneSDP is the SDP a phone offers (INVITE without SDP) or answers.
func phoneSDP(user string, port int) []byte {
	return []byte(fmt.Sprintf("v=0\r\no=%s 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n", user, port+2))
}

// answer makes p answer every INVITE at once (200 with SDP) and record
// what it received.
func (p *phone) answer() {
	contact := sip.ContactHeader{Address: sip.Uri{User: p.user, Host: "127.0.0.1", Port: p.port}}
	dsc := sipgo.NewDialogServerCache(p.client, contact)
	p.server.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		p.mu.Lock()
		p.invites = append(p.invites, string(req.Body()))
		p.mu.Unlock()
		sess, err := dsc.ReadInvite(req, tx)
		if err != nil {
			return
		}
		p.mu.Lock()
		p.sessions = append(p.sessions, sess)
		p.mu.Unlock()
		ct := sip.ContentTypeHeader("application/sdp")
		sess.Respond(200, "OK", phoneSDP(p.user, p.port), &ct)
	})
	p.server.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		p.mu.Lock()
		p.acks = append(p.acks, string(req.Body()))
		p.mu.Unlock()
		dsc.ReadAck(req, tx)
	})
	p.server.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		p.mu.Lock()
		p.byes++
		p.mu.Unlock()
		dsc.ReadBye(req, tx)
	})
}

func (p *phone) seen() (invites, acks []string, byes int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.invites...), append([]string(nil), p.acks...), p.byes
}

// hangup sends BYE on p's last call.
func (p *phone) hangup(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	sess := p.sessions[len(p.sessions)-1]
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sess.Bye(ctx); err != nil {
		t.Fatalf("%s BYE: %v", p.user, err)
	}
}

func newPhone(t *testing.T, k *kam, user, pwd string) *phone {
	t.Helper()
	p := &phone{user: user, pwd: pwd, port: freePort(t), kam: k}
	var err error
	if p.ua, err = sipgo.NewUA(sipgo.WithUserAgent("mvtest-" + user)); err != nil {
		t.Fatal(err)
	}
	if p.server, err = sipgo.NewServer(p.ua); err != nil {
		t.Fatal(err)
	}
	if p.client, err = sipgo.NewClient(p.ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientPort(p.port)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.answer()
	ready := make(chan struct{})
	go p.server.ListenAndServe(context.WithValue(ctx, sipgo.ListenReadyCtxKey, sipgo.ListenReadyCtxValue(ready)), "udp", "127.0.0.1:"+strconv.Itoa(p.port))
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("phone does not listen")
	}
	t.Cleanup(func() { cancel(); p.client.Close(); p.ua.Close() })
	return p
}

// register sends REGISTER (expires 0: unregister) with digest auth and
// returns the final status code.
func (p *phone) register(t *testing.T, expires int) int {
	t.Helper()
	host, portS, _ := net.SplitHostPort(p.kam.sip)
	port, _ := strconv.Atoi(portS)
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Host: host, Port: port})
	aor := sip.Uri{User: p.user, Host: host}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
	req.AppendHeader(sip.NewHeader("Contact", fmt.Sprintf("<sip:%s@127.0.0.1:%d>", p.user, p.port)))
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	req.AppendHeader(sip.NewHeader("User-Agent", "mvtest-"+p.user))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	res, err := p.client.Do(ctx, req, sipgo.ClientRequestRegisterBuild)
	if err != nil {
		t.Fatalf("REGISTER %s: %v", p.user, err)
	}
	if res.StatusCode == 401 || res.StatusCode == 407 {
		res, err = p.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: p.user, Password: p.pwd})
		if err != nil {
			t.Fatalf("REGISTER %s with digest: %v", p.user, err)
		}
	}
	return int(res.StatusCode)
}

// api serves one request from loopback (a trusted admin).
func api(e *engine.Engine, entry string, kv ...string) format.Result {
	params := []wire.Param{{Name: "apientry", Value: entry}}
	for i := 0; i+1 < len(kv); i += 2 {
		params = append(params, wire.Param{Name: kv[i], Value: kv[i+1]})
	}
	return e.Serve(context.Background(), engine.NewRequest(params, netip.MustParseAddr("127.0.0.1"), "test"))
}

// eventually polls fn until it is nil or the deadline passes.
func eventually(t *testing.T, d time.Duration, what string, fn func() error) time.Duration {
	t.Helper()
	start := time.Now()
	var err error
	for time.Since(start) < d {
		if err = fn(); err == nil {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s: %v", what, d, err)
	return 0
}

var errNotYet = errors.New("not yet")

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// sharedTempDir is a temporary folder Kamailio's unprivileged user can
// write (t.TempDir's parent is private to the test's user).
func sharedTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	os.Chmod(filepath.Dir(dir), 0o711)
	os.Chmod(dir, 0o777)
	return dir
}
