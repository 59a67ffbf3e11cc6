// Command rollout measures `kharden rollout plan` on 5,000 generated
// namespaces of 10 workloads each (50,000 workloads, bench/synth): every CEL
// guardrail and the Pod Security Standards judged per namespace, with the
// next stage's breakage, five runs, median next to the target.
//
//	go run -tags kustomize_disable_go_plugin_support ./bench/rollout
package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/kharden/kharden/bench/benchutil"
	"github.com/kharden/kharden/bench/synth"
	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/rollout"
)

const (
	namespaces   = 5000
	perNamespace = 10
	target       = 10 * time.Second
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	return benchutil.Run("rollout", args, stdout, stderr, "seed of the generated cluster", measure)
}

type result struct {
	runs       int
	median     time.Duration
	violations int
	rules      int
}

func (r *result) Print(w io.Writer) {
	fmt.Fprintf(w, "rollout plan: %d namespaces, %d workloads, %d rules, %d violating (rule, object) pairs; median of %d runs\n",
		namespaces, namespaces*perNamespace, r.rules, r.violations, r.runs)
	fmt.Fprintf(w, "  plan %v  target < %v  ratio %.2f (below 1 is met)\n", benchutil.Round(r.median), target, r.median.Seconds()/target.Seconds())
}

func measure(seed int64, runs int) (benchutil.Printer, error) {
	inv := synth.Workloads(namespaces, perNamespace, uint64(seed))
	cfg, err := config.Parse([]byte("rollout:\n  canary: {namespaces: ['team-000*']}\nproductionNamespaces: ['team-00[1-4]*']\n"))
	if err != nil {
		return nil, err
	}
	st := &rollout.State{Rules: map[finding.RuleID]*rollout.RuleState{}}
	for _, u := range rollout.Units() {
		st.Rules[u] = &rollout.RuleState{Stage: rollout.StageWarn}
	}
	var times []time.Duration
	res := &result{runs: runs}
	for range runs {
		start := time.Now()
		p, err := rollout.MakePlan(inv, rollout.PlanOptions{Config: cfg, State: st, Now: time.Now()})
		if err != nil {
			return nil, err
		}
		times = append(times, time.Since(start))
		res.rules, res.violations = len(p.Rules), 0
		for i := range p.Rules {
			res.violations += p.Rules[i].Total()
		}
	}
	if res.violations == 0 {
		return nil, fmt.Errorf("no violation: the benchmark would measure nothing")
	}
	res.median = benchutil.Median(times)
	return res, nil
}
