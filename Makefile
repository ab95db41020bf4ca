# distill — developer entry points. The README's first lines: `make demo`, `make test`.
#
# Everything distill needs that is not Go source is built or installed here, once, and
# cached: Debian packages via apt (runc), pinned tools built from their Go modules into
# $(DISTILL_TOOLS) (skipped when the pinned version is already there), and the distill
# binary itself.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Tool versions. The source of truth is tools/<tool>/go.mod; `make lint` checks these agree.
BUILDKIT_VERSION := v0.34.2
TRIVY_VERSION    := v0.74.0
COSIGN_VERSION   := v2.6.5
BUILDX_VERSION   := v0.38.2
DAGGER_VERSION   := v0.19.10

CACHE_HOME    ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)
DISTILL_TOOLS ?= $(CACHE_HOME)/distill/tools
export DISTILL_TOOLS
export DAGGER_VERSION
BIN           := $(CURDIR)/bin
DISTILL       := $(BIN)/distill
APT_PACKAGES  := runc dnsmasq-base iptables containernetworking-plugins
TEST_APT_PACKAGES := debootstrap
RUN_TOOLS     := buildkit trivy
TEST_TOOLS    := $(RUN_TOOLS) cosign buildx dagger
GO_TEST_FLAGS ?=

FRONTEND_REPO ?= 127.0.0.1:5000/distill
FRONTEND_KEY  ?= $(CACHE_HOME)/distill/frontend/cosign.key
# make dagger-engine's own state (cache, socket); the tests' engine lives in test/services.sh's state dir
DAGGER_ENGINE_STATE ?= $(CACHE_HOME)/distill/dagger-engine

.PHONY: help setup apt test-apt tools test-tools schemas build frontend demo test test-unit test-integration lint bench clean dagger-engine dagger-engine-stop

help: ## list targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

# apt-install PACKAGES: apt-get install those of PACKAGES that are missing
define apt-install
missing=(); for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing+=($$p); done; \
if [ $${#missing[@]} -gt 0 ]; then \
  echo "apt: installing $${missing[*]}"; \
  sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $${missing[@]} >/dev/null; \
else echo "apt: $(1) present"; fi
endef

apt: ## install the Debian packages distill needs (runc; iptables, dnsmasq and CNI plugins for the Dagger engine), when missing
	@$(call apt-install,$(APT_PACKAGES))

test-apt: ## install the Debian packages only the tests use (debootstrap, for test/fresh-machine.sh), when missing
	@$(call apt-install,$(TEST_APT_PACKAGES))

tools: ## build the pinned tools distill runs with (buildkitd, buildctl, trivy) from their Go modules into $(DISTILL_TOOLS)
	@tools/build.sh $(RUN_TOOLS)

test-tools: ## also build the tools the tests use (cosign, docker-buildx, dagger)
	@tools/build.sh $(TEST_TOOLS)

schemas: ## download the official JSON schemas the tests validate against (tools/schemas) into the Go module cache
	@cd tools/schemas && go mod download github.com/CycloneDX/sbom-utility

build: ## build the distill CLI into ./bin (static)
	@mkdir -p $(BIN)
	CGO_ENABLED=0 go build -trimpath -o $(DISTILL) ./cmd/distill

setup: apt tools build ## install everything distill needs on this machine

frontend: build ## push the BuildKit frontend, its bases, scanner and vulnerability DB, signed, to $(FRONTEND_REPO)
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -o $(BIN)/distill-frontend ./cmd/distill-frontend
	@if [ ! -f "$(FRONTEND_KEY)" ]; then \
	  echo "frontend: no signing key at $(FRONTEND_KEY): generating one (set FRONTEND_KEY to use yours)"; \
	  mkdir -p "$$(dirname "$(FRONTEND_KEY)")"; \
	  DISTILL_SIGN_PASSWORD="$${DISTILL_SIGN_PASSWORD-}" $(DISTILL) sign keygen --output-key-prefix "$(FRONTEND_KEY:.key=)"; fi
	DISTILL_SIGN_PASSWORD="$${DISTILL_SIGN_PASSWORD-}" $(DISTILL) frontend publish $(FRONTEND_REPO) --binary $(BIN)/distill-frontend \
	  --spec examples/go-app/distill.yaml --key $(FRONTEND_KEY) --no-tlog $(FRONTEND_FLAGS)

demo: setup ## build a distroless image with a real BuildKit and show where it is
	@examples/demo.sh

test: setup test-apt test-tools schemas ## unit tests, then integration tests against a real buildkitd and registry
	go test -short -count=1 $(GO_TEST_FLAGS) ./...
	@test/services.sh run -- go test -count=1 -timeout 60m $(GO_TEST_FLAGS) ./...

test-unit: schemas ## unit tests only: no daemon (network only to fill the Go module cache)
	go test -short $(GO_TEST_FLAGS) ./...

lint: ## gofmt, go vet, version pins
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...
	@for t in buildkit:github.com/moby/buildkit:$(BUILDKIT_VERSION) trivy:github.com/aquasecurity/trivy:$(TRIVY_VERSION) cosign:github.com/sigstore/cosign/v2:$(COSIGN_VERSION) buildx:github.com/docker/buildx:$(BUILDX_VERSION); do \
	  IFS=: read -r dir mod want <<<"$$t"; got=$$(cd tools/$$dir && go list -m -f '{{.Version}}' $$mod); \
	  [ "$$got" = "$$want" ] || { echo "tools/$$dir/go.mod pins $$mod $$got, Makefile says $$want"; exit 1; }; done

bench: setup test-tools ## benchmarks with figures (image sizes, build times) against baselines measured in the same run
	@test/services.sh run -- go test -run '^$$' -bench . -benchtime 1x -count=1 -timeout 60m ./test/...

# eval "$(make -s dagger-engine)" points dagger and the Go SDK at it (logs go to stderr)
dagger-engine: ## build Dagger $(DAGGER_VERSION) from its Go modules, start its engine and print the env to eval
	@$(MAKE) -s --no-print-directory apt >&2
	@tools/build.sh dagger >&2
	@DISTILL_TEST_STATE="$(DAGGER_ENGINE_STATE)" test/services.sh up dagger
	@DISTILL_TEST_STATE="$(DAGGER_ENGINE_STATE)" test/services.sh env dagger

dagger-engine-stop: ## stop the engine make dagger-engine started and undo its network changes (its cache stays)
	@DISTILL_TEST_STATE="$(DAGGER_ENGINE_STATE)" test/services.sh down dagger

clean: ## remove ./bin (tool and image caches under $(CACHE_HOME)/distill are kept)
	rm -rf $(BIN)
