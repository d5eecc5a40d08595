# make test: everything CI runs. make deps: install what it needs (npm, chromium, redis-server).
.PHONY: test deps vet unit fuzz chat

test: deps vet unit fuzz

deps:
	.ci/deps

vet:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	go vet ./...

unit:
	go test -race -count=1 -timeout 15m ./...

# A short run of every fuzz target on top of its seed corpus.
fuzz:
	go test -run='^$$' -fuzz=FuzzDecodePayload -fuzztime=10s ./internal/engine/packet
	go test -run='^$$' -fuzz=FuzzDecoder -fuzztime=10s ./internal/parser
	go test -run='^$$' -fuzz=FuzzUnmarshalArg -fuzztime=10s ./internal/parser
