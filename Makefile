# kharden — build, test, benchmark, docs.
GO       ?= go
TAGS     := kustomize_disable_go_plugin_support
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X github.com/kharden/kharden/internal/cli.Version=$(VERSION)
BIN      := bin/kharden
# The corpus of real-world manifests shared by every checkout.
KHARDEN_CORPUS ?= $(abspath ../shared/corpus)
export KHARDEN_CORPUS

.PHONY: all build demo test vet docs docs-check bench bench-cluster fuzz clean cluster-binaries

all: build

build:
	$(GO) build -tags $(TAGS) -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/kharden
	ln -sf kharden bin/kubectl-harden

# The main job on the bundled examples (exit 0: no --fail-on).
demo: build
	./$(BIN) scan examples/

vet:
	$(GO) vet -tags $(TAGS) ./...

# kube-apiserver, kube-controller-manager and etcd built from the Go module
# proxy into a cache keyed by version (minutes once, a no-op after).
cluster-binaries:
	@bash hack/cluster-binaries.sh >/dev/null

# Every test, including the rule fixtures, goldens, PSS conformance fixtures,
# the corpus robustness test, short runs of every fuzz target's corpus, and
# the integration tests against a real API server.
test: vet docs-check cluster-binaries
	KUBEBUILDER_ASSETS="$$(bash hack/cluster-binaries.sh)" $(GO) test -tags $(TAGS) -count=1 ./...

docs:
	$(GO) run -tags $(TAGS) ./hack/gendocs

docs-check:
	@$(GO) run -tags $(TAGS) ./hack/gendocs -check

# Benchmarks: Go benchmarks beside the code and under bench/, then the corpus
# comparison (wall time, peak RSS, objects/s) printed by bench/corpus.
bench: build
	$(GO) test -tags $(TAGS) -run '^$$' -bench . -benchmem -count 5 ./bench ./pkg/... | tee bin/bench.txt
	$(GO) run ./bench/corpus -bin $(BIN) -corpus $(KHARDEN_CORPUS)/real -runs 7
	$(GO) run -tags $(TAGS) ./bench/rbac
	$(GO) run -tags $(TAGS) ./bench/netpol
	$(GO) run -tags $(TAGS) ./bench/audit
	$(GO) run -tags $(TAGS) ./bench/dns
	$(GO) run -tags $(TAGS) ./bench/rollout

# The live-cluster figure: 20,000 objects loaded into a real API server, then
# bare lists against scan --cluster (minutes: loading is the slow part).
bench-cluster: cluster-binaries
	KUBEBUILDER_ASSETS="$$(bash hack/cluster-binaries.sh)" $(GO) test -tags $(TAGS) -run '^$$' -bench ClusterScan -benchtime 3x -count 1 -timeout 60m ./bench/cluster

# A minute of fuzzing per target; new inputs land in testdata/fuzz.
fuzz:
	$(GO) test -tags $(TAGS) -run '^$$' -fuzz FuzzParseDocuments -fuzztime 60s ./pkg/inventory
	$(GO) test -tags $(TAGS) -run '^$$' -fuzz FuzzParse -fuzztime 60s ./pkg/imageref
	$(GO) test -tags $(TAGS) -run '^$$' -fuzz FuzzParse -fuzztime 60s ./pkg/config
	$(GO) test -tags $(TAGS) -run '^$$' -fuzz FuzzBuild -fuzztime 60s ./pkg/analysis/rbac
	$(GO) test -tags $(TAGS) -run '^$$' -fuzz FuzzBuild -fuzztime 60s ./pkg/analysis/netpol
	$(GO) test -tags $(TAGS) -run '^$$' -fuzz FuzzAuditKubeconfig -fuzztime 60s ./pkg/access
	$(GO) test -tags $(TAGS) -run '^$$' -fuzz FuzzParseSpec -fuzztime 60s ./pkg/network
	$(GO) test -tags $(TAGS) -run '^$$' -fuzz FuzzParseDependsOn -fuzztime 60s ./pkg/network
	$(GO) test -tags $(TAGS) -run '^$$' -fuzz FuzzReachQuestion -fuzztime 60s ./pkg/network
	$(GO) test -tags $(TAGS) -run '^$$' -fuzz FuzzDecoder -fuzztime 60s ./pkg/detect/auditlog
	$(GO) test -tags $(TAGS) -run '^$$' -fuzz FuzzObjectDetectors -fuzztime 60s ./pkg/detect/auditlog
	$(GO) test -tags $(TAGS) -run '^$$' -fuzz FuzzServeIngest -fuzztime 60s ./pkg/detect/auditserve
	$(GO) test -tags $(TAGS) -run '^$$' -fuzz FuzzParseLine -fuzztime 60s ./pkg/detect/dns
	$(GO) test -tags $(TAGS) -run '^$$' -fuzz FuzzDecoder -fuzztime 60s ./pkg/detect/dns
	$(GO) test -tags $(TAGS) -run '^$$' -fuzz FuzzPlan -fuzztime 60s ./pkg/psa
	$(GO) test -tags $(TAGS) -run '^$$' -fuzz FuzzParseStage -fuzztime 60s ./pkg/rollout

clean:
	rm -rf bin
