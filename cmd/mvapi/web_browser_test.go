package main

// Browser tests of the enduser portal (/webvoip) and the rules console:
// the real Main with demo data, driven by Debian's chromium headless
// through chromedp (DevTools protocol from Go: no Node, no driver binary,
// no downloaded browser).

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"mvapi/actions/actionstest"
	"mvapi/engine"
)

// chromiumPath is $CHROMIUM or the first browser on PATH.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser is one headless chromium tab for a test.
type browser struct {
	t       *testing.T
	ctx     context.Context
	base    string
	shots   string // folder of the screenshots
	dialogs atomic.Int32
}

// stepTimeout bounds one step: generous, the CI machine is shared.
var stepTimeout = 90 * time.Second

// requireChromium returns the browser's path; without one it skips the
// test, or fails it when CI=true.
func requireChromium(t *testing.T) string {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but no chromium: apt-get install -y chromium (or set CHROMIUM to the browser)")
		}
		t.Skip("browser tests skipped: no chromium on PATH (apt-get install -y chromium, or set CHROMIUM)")
	}
	return path
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	path := requireChromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		// On a closed network the background services hang or retry.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("font-render-hinting", "none"),
		chromedp.WindowSize(1280, 800),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, base: base, shots: os.Getenv("MVAPI_SCREENSHOTS")}
	if b.shots == "" {
		b.shots = t.TempDir()
	} else if err := os.MkdirAll(b.shots, 0o755); err != nil {
		t.Fatal(err)
	}
	// The first action starts the browser, bound to ctx (no timeout).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	// An alert, confirm or prompt means a script ran that should not
	// have: count it, close it so the page goes on.
	// Console messages and uncaught exceptions go to the test log.
	messages := chromedp.Console(ctx)
	go func() {
		for msg, err := range messages {
			if err != nil {
				return
			}
			t.Logf("console %s:%d %s", msg.URL, msg.Line+1, msg)
		}
	}()
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.dialogs.Add(1)
			t.Logf("dialog opened: %q", ev.Message)
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	return b
}

// do runs steps with a timeout per call.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v\npage: %s", err, b.pageText())
	}
}

// wait polls a JavaScript predicate until it is true.
func (b *browser) wait(predicate string) {
	b.t.Helper()
	// A page being re-rendered may lack the element for a moment: an
	// exception is "not yet".
	guarded := `(() => { try { return (` + predicate + `); } catch (e) { return false; } })()`
	b.do(chromedp.Poll[chromedp.Void](guarded, chromedp.WithPollingTimeout(stepTimeout)))
}

// eval returns the value of an expression (promises awaited).
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// pageText is the visible text, for failure messages.
func (b *browser) pageText() string {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
	return s
}

// fill types into an input after clearing it.
func (b *browser) fill(id, text string) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](`document.getElementById(`+jsString(id)+`).value = ''`),
		chromedp.SendKeys(chromedp.CSS("#"+id), text))
}

// submit clicks the submit button of a form.
func (b *browser) submit(form string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS("#" + form + " button[type=submit]")))
}

// answer waits until the answer line shows text starting with prefix.
func (b *browser) answer(prefix string) string {
	b.t.Helper()
	b.wait(fmt.Sprintf(`document.getElementById('answer').textContent.startsWith(%s)`, jsString(prefix)))
	return eval[string](b, `document.getElementById('answer').textContent`)
}

// goPage switches the portal page by its fragment and waits for the title.
func (b *browser) goPage(hash, title string) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](`location.hash = ` + jsString(hash)))
	b.wait(`document.getElementById('page-title')?.textContent === ` + jsString(title))
}

// shot saves the page at desktop (1280x800) and phone (390x844) width as
// NAME-desktop.png and NAME-phone.png, recompressed to stay small.
func (b *browser) shot(name string) {
	b.t.Helper()
	for _, s := range []struct {
		suffix string
		w, h   int64
		opts   []chromedp.EmulateViewportOption
	}{{"desktop", 1280, 800, nil}, {"phone", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateMobile, chromedp.EmulatePortrait, chromedp.EmulateScale(1)}}} {
		b.do(chromedp.EmulateViewport(s.w, s.h, s.opts...))
		b.wait(`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`)
		ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
		buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		cancel()
		if err != nil {
			b.t.Fatalf("screenshot %s: %v", name, err)
		}
		if img, err := png.Decode(bytes.NewReader(buf)); err == nil {
			var out bytes.Buffer
			if (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, img) == nil && out.Len() < len(buf) {
				buf = out.Bytes()
			}
		}
		if err := os.WriteFile(filepath.Join(b.shots, name+"-"+s.suffix+".png"), buf, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.do(chromedp.EmulateViewport(1280, 800))
}

func jsString(s string) string {
	j, _ := json.Marshal(s)
	return string(j)
}

// startWebServer is the real Main with the demo data, the portal's key
// option, the console and a recording SMS gateway.
func startWebServer(t *testing.T, sets map[string]string) (*Main, *actionstest.Gateway) {
	t.Helper()
	gw := actionstest.StartGateway(t)
	all := map[string]string{"webportalkey": "1", "webconsole": "1", "smsgatewayurl": gw.Template(),
		"ratelimitip": "0", "ratelimituser": "0", "ratelimitglobal": "0", "preauthrate": "0"}
	for k, v := range sets {
		all[k] = v
	}
	m := &Main{DSN: "sqlite:" + filepath.Join(t.TempDir(), "web.db"), Listen: "127.0.0.1:0", Demo: true, Sets: all,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(); err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, gw
}

// TestWebPortalInBrowser logs in to /webvoip as the demo user 1111 and uses
// every page as a user would, with screenshots of each.
func TestWebPortalInBrowser(t *testing.T) {
	requireChromium(t)
	m, gw := startWebServer(t, nil)
	b := newBrowser(t, m.URL())
	b.do(chromedp.Navigate(b.base + "/webvoip"))
	b.do(chromedp.WaitVisible(chromedp.CSS("#f-username")))

	// The page's MD5 is Go's crypto/md5.
	inputs := []string{"", "a", "abc", "ck5Gp1111demo1111123", strings.Repeat("x", 55), strings.Repeat("y", 64), "ő€😀 ünicode"}
	got := eval[[]string](b, `import('/webvoip/md5.js').then(m => `+mustJSON(inputs)+`.map(m.md5))`)
	for i, s := range inputs {
		sum := md5.Sum([]byte(s))
		if want := hex.EncodeToString(sum[:]); i >= len(got) || got[i] != want {
			t.Fatalf("md5.js(%q) = %v, want %s", s, got, want)
		}
	}
	b.shot("portal-login")

	// A wrong password: the API's answer as it is.
	b.fill("f-username", "1111")
	b.fill("f-password", "wrong")
	b.submit("login")
	if a := b.answer("ERROR:"); !strings.Contains(a, "auth failed") {
		t.Fatalf("wrong password answer %q", a)
	}
	b.fill("f-password", "demo1111")
	b.submit("login")
	b.wait(`document.getElementById('balance')?.textContent === 'Your credit is $9.8'`)
	if c := eval[string](b, `document.getElementById('st-currency').textContent`); c != "USD" {
		t.Fatalf("currency %q", c)
	}
	// The password is in memory only.
	if n := eval[int](b, `localStorage.length + sessionStorage.length + document.cookie.length`); n != 0 {
		t.Fatalf("storage holds %d entries", n)
	}
	b.shot("portal-status")
	// The page's own requests get no IP trust, though it runs on 127.0.0.1.
	if txt := eval[string](b, `fetch('/mvapireq/?apientry=apireload&format=json').then(r => r.json()).then(j => j.text)`); !strings.HasPrefix(txt, "ERROR:") {
		t.Fatalf("apireload without credentials from the page: %q", txt)
	}

	t.Run("calls", func(t *testing.T) {
		b.t = t
		b.goPage("#calls", "Calls")
		caption := `document.querySelector('#calls-out caption')?.textContent`
		b.wait(caption + ` === 'OK: 3 calls'`)
		b.do(chromedp.SetValue(chromedp.CSS("#f-dir"), "in"))
		b.submit("calls")
		b.wait(caption + ` === 'OK: 1 calls'`)
		if who := eval[string](b, `document.querySelector('#calls-out td[data-col=caller]').textContent`); who != "2222" {
			t.Fatalf("incoming call from %q", who)
		}
		b.do(chromedp.SetValue(chromedp.CSS("#f-dir"), "all"), chromedp.SetValue(chromedp.CSS("#f-type"), "connected"),
			chromedp.Click(chromedp.CSS("#f-summary")))
		b.submit("calls")
		b.wait(caption + `?.startsWith('OK: 1 calls; summary: calls=1, connected=1')`)
		b.do(chromedp.SetValue(chromedp.CSS("#f-days"), "today"), chromedp.SetValue(chromedp.CSS("#f-type"), "all"))
		b.submit("calls")
		b.wait(caption + `?.startsWith('OK: 3 calls; summary')`)
		b.shot("portal-calls")
	})

	t.Run("prices", func(t *testing.T) {
		b.t = t
		b.goPage("#prices", "Prices")
		b.fill("f-bnum", "38970123456")
		b.submit("prices")
		b.answer("0.2 EUR, Destination: Macedonia-cellular")
		b.fill("f-bnum", "99")
		b.submit("prices")
		b.answer("ERROR: rate not found")
		b.shot("portal-prices")
	})

	t.Run("recharge", func(t *testing.T) {
		b.t = t
		b.goPage("#recharge", "Recharge")
		b.fill("f-pin", "10000001")
		b.submit("recharge")
		b.answer("OK: charged 10 USD")
		b.wait(`document.getElementById('recharge-balance').textContent === 'Your credit is $19.8'`)
		b.shot("portal-recharge")
		b.goPage("#status", "Status")
		b.wait(`document.getElementById('balance')?.textContent === 'Your credit is $19.8'`)
	})

	t.Run("sms", func(t *testing.T) {
		b.t = t
		b.goPage("#sms", "Send SMS")
		b.fill("f-to", "+36201234567")
		b.fill("f-message", "Hello from the portal")
		b.submit("sms")
		b.answer("OK")
		reqs := gw.WaitRequests(t, 1, stepTimeout)
		if reqs[0].To != "+36201234567" || reqs[0].Text != "Hello from the portal" {
			t.Fatalf("gateway got %+v", reqs[0])
		}
		b.shot("portal-sms")
	})

	// A profile field holding markup: saved through setfield, shown as
	// text everywhere, no script runs.
	xss := `<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2;alert(2)</script>`
	t.Run("profile", func(t *testing.T) {
		b.t = t
		b.goPage("#profile", "Profile")
		b.wait(`document.getElementById('f-displayname') !== null`)
		if ro := eval[bool](b, `document.getElementById('f-name').readOnly`); !ro {
			t.Fatal("name is set (Demo 1111): the reference lets a user set it once only")
		}
		b.fill("f-displayname", xss)
		b.submit("profile")
		b.answer("OK: displayname updated")
		var stored string
		if err := m.DB.Get(&stored, m.DB.Rebind("SELECT displayname FROM tb_users WHERE username = ?"), "1111"); err != nil || stored != xss {
			t.Fatalf("stored displayname %q, %v", stored, err)
		}
		b.wait(`document.getElementById('f-displayname')?.value === ` + jsString(xss))
		b.shot("portal-profile")
	})

	t.Run("stored markup is text", func(t *testing.T) {
		b.t = t
		// Also a name a DBA stored.
		if _, err := m.DB.Exec(m.DB.Rebind("UPDATE tb_users SET name = ? WHERE username = ?"), "<b>bold</b><script>alert(3)</script>", "1111"); err != nil {
			t.Fatal(err)
		}
		b.goPage("#calls", "Calls")
		b.goPage("#status", "Status")
		b.wait(`document.getElementById('st-displayname')?.textContent === ` + jsString(xss))
		b.wait(`document.getElementById('st-name')?.textContent === '<b>bold</b><script>alert(3)</script>'`)
		if ok := eval[bool](b, `window.__xss === undefined && document.querySelectorAll('#view img, #view script, #view b').length === 0`); !ok {
			t.Fatal("stored markup became elements or ran")
		}
		if n := b.dialogs.Load(); n != 0 {
			t.Fatalf("%d dialogs opened", n)
		}
	})

	t.Run("password", func(t *testing.T) {
		b.t = t
		b.goPage("#password", "Change password")
		b.shot("portal-password")
		b.fill("f-oldpassword", "demo1111")
		b.fill("f-newpassword", "portal-1111")
		b.fill("f-repeat", "portal-1111")
		b.submit("password")
		b.answer("OK")
		// The page goes on with the new password; logging out forgets it.
		b.goPage("#status", "Status")
		b.wait(`document.getElementById('balance')?.textContent === 'Your credit is $19.8'`)
		b.do(chromedp.Click(chromedp.CSS("#logout")))
		b.do(chromedp.WaitVisible(chromedp.CSS("#f-username")))
		b.fill("f-username", "1111")
		b.fill("f-password", "portal-1111")
		b.submit("login")
		b.wait(`document.getElementById('balance')?.textContent === 'Your credit is $19.8'`)
	})
}

func mustJSON(v any) string {
	j, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(j)
}

// TestWebConsoleInBrowser logs in to /console/ as the demo admin, finds an
// entry, adds a tb_api row with a typo, sees apireload's error with its
// position, fixes it, and tries the new entry as a user.
func TestWebConsoleInBrowser(t *testing.T) {
	requireChromium(t)
	m, _ := startWebServer(t, nil)
	admin := m.DemoUsers[len(m.DemoUsers)-1]
	b := newBrowser(t, m.URL())
	b.do(chromedp.Navigate(b.base + "/console/"))
	b.do(chromedp.WaitVisible(chromedp.CSS("#f-username")))
	b.shot("console-login")
	// An enduser is not an admin.
	b.fill("f-username", "1111")
	b.fill("f-password", "demo1111")
	b.fill("f-authkey", m.Engine.Config().APIKey)
	b.submit("login")
	b.answer("ERROR:")
	b.fill("f-username", admin.Username)
	b.fill("f-password", admin.Password)
	b.submit("login")
	caption := `document.querySelector('#entries-out caption')?.textContent`
	b.wait(caption + `?.endsWith(' entries')`)
	b.fill("f-search", "longest prefix")
	b.wait(`[...document.querySelectorAll('#entries-out td[data-col=entry]')].some(td => td.textContent === 'rating')`)
	b.shot("console-entries")

	b.goPage("#rows", "tb_api rows")
	b.do(chromedp.Click(chromedp.CSS("#new-row")))
	b.wait(`document.getElementById('page-title')?.textContent === 'New tb_api row'`)
	b.fill("f-fname", "webcalls")
	b.fill("f-customsql", "SELECT called, duration FROM tb_cdrs WHERE callerid = [USERID")
	b.do(chromedp.SetValue(chromedp.CSS("#f-req_user"), "12"))
	b.submit("row")
	if a := b.answer("ERROR: apireload failed"); !strings.Contains(a, `fname="webcalls"`) || !regexp.MustCompile(`line \d+:\d+|at byte \d+`).MatchString(a) {
		t.Fatalf("apireload answer %q", a)
	}
	b.shot("console-row-error")
	// The row was stored: edit it from the list and fix the typo.
	b.goPage("#rows", "tb_api rows")
	b.wait(`[...document.querySelectorAll('td[data-col=fname]')].some(td => td.textContent === 'webcalls')`)
	b.do(chromedp.Click(chromedp.CSS(`button[data-edit="webcalls"]`)))
	b.wait(`document.getElementById('f-fname')?.value === 'webcalls'`)
	b.fill("f-customsql", "SELECT called, duration FROM tb_cdrs WHERE callerid = [USERID] ORDER BY id")
	b.submit("row")
	b.answer("OK: apireload:")
	if a := eval[string](b, `document.getElementById('answer').textContent`); !strings.Contains(a, "added: webcalls") {
		t.Fatalf("apireload answer %q", a)
	}

	b.goPage("#tryit/webcalls", "Try it")
	b.fill("f-asuser", "1111")
	b.fill("f-aspwd", "demo1111")
	b.submit("try")
	b.wait(`document.getElementById('try-out').textContent.includes('36301234567')`)
	curl := eval[string](b, `document.getElementById('try-curl').textContent`)
	if !strings.HasPrefix(curl, "curl '"+b.base+"/mvapireq/?apientry=webcalls") || !strings.Contains(curl, "authmd5=") || strings.Contains(curl, "demo1111") {
		t.Fatalf("curl %q", curl)
	}
	b.shot("console-tryit")
	for _, v := range [][2]string{{"apistatus", "Rule state"}, {"outbox", "Outbox"}, {"jobruns", "Job runs"}, {"banned", "Banned IPs"}, {"lockouts", "Lockouts"}} {
		b.goPage("#views/"+v[0], "State, outbox, jobs, bans")
		b.wait(`document.querySelector('#views-out caption')?.textContent.startsWith(` + jsString(v[1]) + `)`)
		if a := eval[string](b, `document.querySelector('#views-out caption').textContent`); !strings.Contains(a, ": OK") {
			t.Fatalf("%s: %q", v[0], a)
		}
	}
	// The copied command works (its salt is fresh, not yet used).
	out, err := exec.Command("sh", "-c", curl).CombinedOutput()
	if _, lookErr := exec.LookPath("curl"); lookErr == nil && (err != nil || !strings.Contains(string(out), "36301234567")) {
		t.Fatalf("%s: %v %s", curl, err, out)
	}
}

// TestDemoPrintsWebURLs: make run prints the portal (with the key in the
// fragment unless webportalkey=1) and the console, and both answer.
func TestDemoPrintsWebURLs(t *testing.T) {
	m, _ := startWebServer(t, map[string]string{"webportalkey": "0"})
	var out bytes.Buffer
	printWebURLs(&out, m.Engine.Config(), m.URL())
	urls := exampleURLs(out.String())
	want := []string{m.URL() + "/webvoip/#authkey=" + m.Engine.Config().APIKey, m.URL() + "/console/"}
	if strings.Join(urls, " ") != strings.Join(want, " ") {
		t.Fatalf("printed %q, want %q", urls, want)
	}
	for _, u := range urls {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") == "" {
			t.Fatalf("%s: %d %v", u, resp.StatusCode, resp.Header)
		}
	}
}

// TestWebPortalKeyAndSignup: without webportalkey the page asks for the key
// or takes it from the link's fragment (and drops it from the address
// bar); sign up shows only with webportalsignup=1 and makes a user.
func TestWebPortalKeyAndSignup(t *testing.T) {
	requireChromium(t)
	// apidefneedlogin=2: every login needs a nonce from the server, which
	// the page takes from the first answer (the authv3_ formula).
	m, _ := startWebServer(t, map[string]string{"webportalkey": "0", "webportalsignup": "1", "apidefneedlogin": "2"})
	key := m.Engine.Config().APIKey
	b := newBrowser(t, m.URL())
	b.do(chromedp.Navigate(b.base + "/webvoip/"))
	b.do(chromedp.WaitVisible(chromedp.CSS("#f-authkey")))
	b.do(chromedp.Click(chromedp.CSS(`a[href="#signup"]`)))
	b.wait(`document.getElementById('page-title')?.textContent === 'Sign up'`)
	b.fill("f-u_username", "webnew")
	b.fill("f-u_password", "webnew-pass1")
	b.fill("f-u_name", "Web New")
	b.fill("f-authkey", key)
	b.submit("signup")
	b.answer("OK")

	b.do(chromedp.Navigate(b.base + "/webvoip/#authkey=" + key))
	b.do(chromedp.WaitVisible(chromedp.CSS("#f-username")))
	if eval[bool](b, `document.getElementById('f-authkey') !== null || location.href.includes('authkey')`) {
		t.Fatal("the key from the fragment is still asked for or still in the address bar")
	}
	// Keyboard only: Enter in the password field submits, Enter on a link
	// opens the page.
	b.fill("f-username", "webnew")
	b.fill("f-password", "webnew-pass1\r")
	b.wait(`document.getElementById('st-name')?.textContent === 'Web New'`)
	// The same login without a nonce is challenged, so the page answered
	// the challenge.
	q := url.Values{"apientry": {"getdetails"}, "authkey": {key}, "authid": {"webnew"}, "authsalt": {"48151"},
		"authmd5": {engine.AuthMD5("webnew", "webnew-pass1", m.Engine.Config().MD5Salt, "48151")}}
	req, _ := http.NewRequest(http.MethodGet, m.URL()+"/mvapireq/?"+q.Encode(), nil)
	req.Header.Set("Origin", m.URL()) // as the page: no IP trust
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "new nonce is:") {
		t.Fatalf("a login without a nonce answered %q: apidefneedlogin=2 is not in force", body)
	}
	b.do(chromedp.Focus(chromedp.CSS(`a[data-page=prices]`)), chromedp.SendKeys(chromedp.CSS(`a[data-page=prices]`), "\r"))
	b.wait(`document.getElementById('page-title')?.textContent === 'Prices' && document.activeElement === document.getElementById('page-title')`)
	b.fill("f-bnum", "447700\r")
	b.answer("0.09 GBP, Destination: United Kingdom-mobile")
}
