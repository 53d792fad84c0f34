# mvapi: the two commands a newcomer needs are `make run` and `make test`.
GO      ?= go
BIN     ?= bin/mvapi
DB      ?= sqlite:mvapi.db
LISTEN  ?= 127.0.0.1:8080
ADMIN   ?= 127.0.0.1:9180
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
FUZZTIME ?= 30s
# run: the demo also serves the rules console (/console/)
RUNSETS ?= --set webconsole=1

.PHONY: build static run test race vet fmt bench bench-go bench-http fuzz sqlmap clean screenshots

build:
	$(GO) build -ldflags "-X main.Version=$(VERSION)" -o $(BIN) ./cmd/mvapi

## static: the Dockerfile's binary (CGO_ENABLED=0, same flags; packaging's test checks they match)
static:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.Version=$(VERSION)" -o bin/mvapi-static ./cmd/mvapi
	bin/mvapi-static --version

## run: build and serve the demo on the embedded SQLite default (metrics and health on ADMIN)
run: build
	$(BIN) serve --demo --db $(DB) --listen $(LISTEN) --set adminhttpaddr=$(ADMIN) $(RUNSETS)

## test: the whole suite (what CI runs): vet, gofmt check, unit, end-to-end and fuzz seed corpora
test: vet fmt
	$(GO) test -count=1 -timeout 15m ./...

## race: the suite under the race detector (slower; not part of make test)
race:
	$(GO) test -race -count=1 -timeout 30m ./...

vet:
	$(GO) vet ./...

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## bench: one run (about 10 minutes): balance vs the bare ceiling on SQLite and PostgreSQL (authpwd, authmd5), customsql/balance, apireload timings, RSS at 10k rules + 1,000 connections, load average (needs wrk: apt-get install wrk; the script installs it when it can)
bench:
	bash bench/all.sh

## bench-go: the Go benchmarks (pipeline without a socket, apireload)

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem -count 3 ./engine/... ./cmd/...

bench-http:
	bash bench/http.sh

## fuzz: run every fuzz target for FUZZTIME each
fuzz:
	@for pkg in ./engine/wire ./engine/sqltemplate ./engine/tsql ./engine/format ./engine ./transport ./jobs ./builtin ./actions; do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; $(GO) test $$pkg -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) || exit 1; \
	  done; \
	done

## screenshots: the browser tests write docs/screenshots/*.png (needs chromium)
screenshots:
	MVAPI_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run 'TestWeb(Portal|Console)InBrowser' ./cmd/mvapi

## sqlmap: Debian's sqlmap (level 5, risk 3, --threads 2) against DBA customsql rows and built-ins on SQLite and PostgreSQL, about 30 minutes; exit 1 when a parameter is injectable (security/sqlmap.sh; not in CI)
sqlmap:
	bash security/sqlmap.sh

clean:
	rm -rf bin
