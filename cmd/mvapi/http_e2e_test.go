package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mvapi/engine"
	"mvapi/internal/mvtest"
)

func TestFormatsAndBodies(t *testing.T) { mvtest.ForEachDB(t, testFormatsAndBodies) }

func testFormatsAndBodies(t *testing.T, dsn string) {
	s := startServer(t, dsn, strictSets)
	s.user("kim", "secret12", engine.TypeEndUser, 3.5)
	auth := s.md5Auth("kim", "secret12")
	get := func(f string) string {
		_, body := s.get(append([]string{"apientry", "balance", "format", f}, auth...)...)
		return body
	}
	var j struct {
		Code   int    `json:"code"`
		Status string `json:"status"`
		Text   string `json:"text"`
	}
	if err := json.Unmarshal([]byte(get("json")), &j); err != nil || j.Code != 200 || j.Text != "Your credit is $3.5" {
		t.Fatalf("json: %+v %v", j, err)
	}
	for f, want := range map[string]string{
		"text":      "Your credit is $3.5",
		"cleartext": "Your credit is $3.5",
		"xml":       "<code>200</code><text>Your credit is $3.5</text>",
		"soap":      "<soap:Envelope",
		"html":      "<p>Your credit is $3.5</p>",
	} {
		if body := get(f); !strings.Contains(body, want) {
			t.Errorf("format %s: %q does not contain %q", f, body, want)
		}
	}
	_, body := s.get(append([]string{"apientry", "balance", "callback", "cb"}, auth...)...)
	wantPrefix(t, body, `cb({"code":200,"status":"OK","text":"Your credit is $3.5"});`)

	// POST: a form, the query as a raw body, JSON (answered as JSON) and XML.
	form := "apientry=balance&authkey=" + s.key + "&authid=kim&authpwd=secret12"
	_, body = s.post("application/x-www-form-urlencoded", form)
	wantPrefix(t, body, "Your credit is $3.5")
	_, body = s.post("text/plain", form)
	wantPrefix(t, body, "Your credit is $3.5")
	_, body = s.post("application/json", `{"apientry":"balance","authkey":"`+s.key+`","authid":"kim","authpwd":"secret12"}`)
	wantPrefix(t, body, `{"code":200,"status":"OK","text":"Your credit is $3.5"}`)
	_, body = s.post("text/xml", `<request><apientry>balance</apientry><authkey>`+s.key+`</authkey><authid>kim</authid><authpwd>secret12</authpwd></request>`)
	if !strings.Contains(body, "<code>200</code><text>Your credit is $3.5</text>") {
		t.Fatalf("xml post answered %q", body)
	}
	status, body := s.post("application/json", `{"apientry": [1,2]}`)
	if status != 499 || !strings.HasPrefix(body, "ERROR: bad request:") {
		t.Fatalf("bad json answered %d %q", status, body)
	}
	status, _ = s.post("text/plain", strings.Repeat("a", 2<<20))
	if status != 499 {
		t.Fatalf("oversized body answered %d", status)
	}
	resp, err := http.Get(s.base + "/elsewhere")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown path answered %d", resp.StatusCode)
	}
}

func TestPositionalParameters(t *testing.T) { mvtest.ForEachDB(t, testPositionalParameters) }

func testPositionalParameters(t *testing.T, dsn string) {
	s := startServer(t, dsn, strictSets)
	s.user("lee", "secret13", engine.TypeEndUser, 1)
	s.exec("INSERT INTO tb_rates (prefix, destination, price, currency) VALUES ('44', 'United Kingdom', 0.02, 'GBP')")
	_, body := s.get(append([]string{"apientry", "rating", "param1", "4420"}, s.md5Auth("lee", "secret13")...)...)
	wantPrefix(t, body, "0.02 GBP, Destination: United Kingdom")
	// The fully positional form: function, key, user, password, then parameters.
	_, body = s.get("param1", "rating", "param2", s.key, "param3", "lee", "param4", "secret13", "param5", "4420")
	wantPrefix(t, body, "0.02 GBP, Destination: United Kingdom")
}

// TestApireloadUnderLoad fires requests without pause while apireload runs
// 100 times, each swapping in a really different table.
func TestApireloadUnderLoad(t *testing.T) { mvtest.ForEachDB(t, testApireloadUnderLoad) }

func testApireloadUnderLoad(t *testing.T, dsn string) {
	s := startServer(t, dsn, strictSets)
	s.user("mia", "secret14", engine.TypeEndUser, 8)
	s.user("root", "adminpw1", engine.TypeAdmin, 0)
	s.exec(`INSERT INTO tb_api (fname, customsql) VALUES ('ping', 'SELECT ''pong''')`)
	wantPrefix(t, s.apireload("root", "adminpw1"), "OK:")
	auth := s.md5Auth("mia", "secret14")

	var stop atomic.Bool
	var sent, failed atomic.Int64
	var firstFailure atomic.Value
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			entry := []string{"balance", "ping"}[w%2]
			query := url.Values{}
			for _, kv := range [][2]string{{"apientry", entry}, {auth[0], auth[1]}, {auth[2], auth[3]}, {auth[4], auth[5]}, {auth[6], auth[7]}} {
				query.Set(kv[0], kv[1])
			}
			for !stop.Load() {
				body, err := tryGet(s.base + "/mvapireq/?" + query.Encode())
				sent.Add(1)
				if err != nil {
					body = err.Error()
				}
				if !strings.HasPrefix(body, "Your credit is $8") && !strings.HasPrefix(body, "OK: pong") {
					failed.Add(1)
					firstFailure.CompareAndSwap(nil, body)
				}
			}
		}()
	}
	start := time.Now()
	for i := range 100 {
		s.exec("UPDATE tb_api SET description = ?, enabled = 1, "+s.m.DB.Dialect.Ident("rule")+" = ? WHERE fname = 'ping'", fmt.Sprint(i), []string{"true", "1 == 1"}[i%2])
		if body := s.apireload("root", "adminpw1"); !strings.HasPrefix(body, "OK: apireload: ") || !strings.Contains(body, "changed: ping") {
			t.Fatalf("apireload %d answered %q", i, body)
		}
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("100 apireloads in %v; %d requests, %d failed", time.Since(start), sent.Load(), failed.Load())
	if failed.Load() != 0 {
		t.Fatalf("%d of %d requests failed during apireload, first: %q", failed.Load(), sent.Load(), firstFailure.Load())
	}
}

// tryGet is a GET that may run outside the test goroutine.
func tryGet(u string) (string, error) {
	resp, err := http.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}
