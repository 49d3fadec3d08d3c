# modkit: the two commands a newcomer needs are `make demo` and `make test`.
GO ?= go
FUZZTIME ?= 60s

.PHONY: all build install demo test test-short vet fuzz bench deps-test deps-demo clean

all: build

build:
	$(GO) build ./...

## install: the modkit command into $(go env GOBIN), or $(go env GOPATH)/bin.
install:
	$(GO) install ./cmd/modkit
	@bin=$$($(GO) env GOBIN); [ -n "$$bin" ] || bin=$$($(GO) env GOPATH)/bin; echo "installed $$bin/modkit"; \
	case ":$$PATH:" in *":$$bin:"*) ;; *) echo "$$bin is not in PATH: add it (export PATH=\"$$bin:\$$PATH\") to run 'modkit'";; esac

deps-test:
	./hack/ensure-packages.sh test

deps-demo:
	./hack/ensure-packages.sh demo

## demo: run the main job on embedded defaults (no servers, nothing from ../shared).
demo: deps-demo
	./hack/demo.sh

## test: go vet plus every test; installs the system tools the tests drive and
## runs the tests beside private PostgreSQL, RabbitMQ, koji hub and Bodhi
## instances (hack/services.sh). Ends with a summary that counts skipped
## tests and says why each skipped.
test: deps-test vet
	./hack/services.sh env GO=$(GO) $(GO) run ./internal/testsummary ./...

test-short: vet
	$(GO) test -short ./...

vet:
	$(GO) vet ./...

## fuzz: run every fuzz target for FUZZTIME each.
fuzz:
	./hack/fuzz.sh $(FUZZTIME)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin .state
