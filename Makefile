# modkit: the two commands a newcomer needs are `make demo` and `make test`.
GO ?= go
FUZZTIME ?= 60s

.PHONY: all build demo test test-short vet fuzz bench deps-test deps-demo clean

all: build

build:
	$(GO) build ./...

deps-test:
	./hack/ensure-packages.sh test

deps-demo:
	./hack/ensure-packages.sh demo

## demo: run the main job on embedded defaults (no servers, nothing from ../shared).
demo: deps-demo
	./hack/demo.sh

## test: go vet plus every test; installs the system tools the tests drive and
## runs the tests beside private PostgreSQL, RabbitMQ, koji hub and Bodhi
## instances (hack/services.sh).
test: deps-test vet
	./hack/services.sh $(GO) test ./...

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
