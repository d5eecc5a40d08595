# make test: everything CI runs. make deps: install what it needs (npm packages, chromium,
# redis-server). make chat: run the chat example.
.PHONY: test deps vet unit examples js redis metrics bench-smoke fuzz chat

# Tests that drive node, the pinned npm packages, Chromium or redis-server skip without them
# under a plain `go test ./...`; here a missing one is a failure (see internal/testenv).
export HUB_INTEGRATION := 1

test: deps vet unit examples js redis metrics bench-smoke fuzz

deps:
	.ci/deps

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1)
	go vet ./... ./_examples/chat/...
	cd _examples/chat/redis && go vet ./...
	cd adapter/redis && go vet ./...
	cd metrics/prometheus && go vet ./...
	node js/client/build.mjs --check

# Go tests, the interop suite (official socket.io-client against hub and against Node) included.
unit:
	go test -race -count=1 -timeout 15m ./...

# The chat example: Go tests with the Go client, and the browser test in headless Chromium over
# websocket, sse and polling.
examples:
	go test -race -count=1 -timeout 10m ./_examples/chat
	cd _examples/chat/redis && go test -race -count=1 -timeout 5m ./...

# Our browser client in headless Chromium: against the Node socket.io 4.8 server, then against hub.
js:
	cd js && node --test client/test/
	node js/interop/run.mjs hub -- node --test js/client/test/browser.test.mjs

redis:
	cd adapter/redis && go test -race -count=1 -timeout 10m ./...

metrics:
	cd metrics/prometheus && go test -race -count=1 -timeout 5m ./...

bench-smoke:
	go test -count=1 -timeout 5m ./internal/bench/... ./bench/...

# A short run of every fuzz target on top of its seed corpus, a few seconds each. Budgets are
# counted in executions, not seconds: with a -fuzztime in seconds, Go 1.26's fuzz coordinator
# can report "context deadline exceeded" as a failure when the time runs out
# (go.dev/issue/75804, fixed in Go 1.27).
fuzz:
	go test -run='^$$' -fuzz=FuzzDecodePayload -fuzztime=500000x ./internal/eio
	go test -run='^$$' -fuzz=FuzzToValidUTF8 -fuzztime=300000x ./internal/eio
	go test -run='^$$' -fuzz=FuzzDecoder -fuzztime=200000x ./internal/parser
	go test -run='^$$' -fuzz=FuzzUnmarshalArg -fuzztime=150000x ./internal/parser
	go test -run='^$$' -fuzz=FuzzAppendArgs -fuzztime=100000x ./internal/parser
	go test -run='^$$' -fuzz=FuzzMsgpackDecoder -fuzztime=200000x ./internal/parser
	go test -run='^$$' -fuzz=FuzzEventHandler -fuzztime=150000x ./internal/sio
	go test -run='^$$' -fuzz=FuzzRecoveryAuth -fuzztime=50000x .
	go test -run='^$$' -fuzz=FuzzRestoreOffset -fuzztime=50000x ./adapter
	go test -run='^$$' -fuzz=FuzzPollingPayload -fuzztime=100000x ./client
	go test -run='^$$' -fuzz=FuzzSSEEvents -fuzztime=50000x ./client
	go test -run='^$$' -fuzz=FuzzWebSocketReader -fuzztime=100000x ./internal/ws
	go test -run='^$$' -fuzz=FuzzServeHTTP -fuzztime=50000x ./internal/engine

chat:
	go run ./_examples/chat
