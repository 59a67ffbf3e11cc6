package auditlog

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// identBotIPs are the scanning sources of the bots scenario.
var identBotIPs = []string{"203.0.113.45", "198.51.100.23", "192.0.2.200"}

// identBotsLog reproduces the shape of pkg/lab/scenario_bots.go: 30
// minutes of about one request a second from a workload, a person, the
// controller manager and CI, then from minute 18 to 23 three source IPs at
// about 6 requests a second each: invalid tokens (401), anonymous requests
// refused (403) and anonymous reads let through (200).
func identBotsLog() []E {
	r := rand.New(rand.NewPCG(1, 1))
	var es []E
	people := []E{
		{User: "system:serviceaccount:shop:checkout", Groups: []string{"system:serviceaccounts", "system:authenticated"}, IP: "10.244.1.5",
			Verb: "get", Resource: "configmaps", NS: "shop", Name: "checkout"},
		{User: "alice@example.com", Groups: []string{"dev", "system:authenticated"}, IP: "10.20.0.14", Verb: "list", Resource: "pods", NS: "shop"},
		{User: "system:kube-controller-manager", Groups: []string{"system:authenticated"}, IP: "127.0.0.1",
			Verb: "update", Resource: "serviceaccounts", NS: "kube-system", Name: "default"},
		{User: "ci-deployer", Groups: []string{"ci", "system:authenticated"}, IP: "10.20.0.50", Verb: "patch", Resource: "deployments",
			Group: "apps", NS: "shop", Name: "pricing"},
	}
	for at := time.Duration(0); at < 30*time.Minute; at += time.Duration(500+r.IntN(1000)) * time.Millisecond {
		e := people[r.IntN(len(people))]
		e.At = at
		es = append(es, e)
	}
	probes := []E{
		{Verb: "list", Resource: "secrets"},
		{Verb: "list", Resource: "secrets", NS: "kube-system"},
		{Verb: "list", Resource: "pods"},
		{Verb: "list", Resource: "configmaps"},
		{Verb: "list", Resource: "clusterrolebindings", Group: "rbac.authorization.k8s.io"},
		{Verb: "create", Resource: "pods", NS: "default"},
		{Verb: "get", Resource: "nodes"},
		{Verb: "get", URI: "/.env"},
		{Verb: "get", URI: "/version"},
	}
	for i, ip := range identBotIPs {
		for at := 18*time.Minute + time.Duration(i)*7*time.Second; at < 23*time.Minute; at += time.Duration(80+r.IntN(160)) * time.Millisecond {
			e := probes[r.IntN(len(probes))]
			e.At, e.IP = at, ip
			switch {
			case r.IntN(2) == 0:
				e.Code = 401
			case e.Verb == "list" && (e.Resource == "pods" || e.Resource == "configmaps"), e.URI == "/version":
				e.User, e.Groups, e.Code = "system:anonymous", []string{"system:unauthenticated"}, 200
			default:
				e.User, e.Groups, e.Code = "system:anonymous", []string{"system:unauthenticated"}, 403
			}
			es = append(es, e)
		}
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].At < es[j].At })
	return es
}

// The bots fire the auth-failure, request-rate and anonymous rules on
// their own addresses (and the anonymous identity), and nothing of the
// normal traffic fires anything.
func TestBotsScenario(t *testing.T) {
	// The bots send about 375 requests a minute each, over the default
	// requestRate.min of 300: the defaults catch them.
	fs := analyze(t, nil, identBotsLog(), checks.RuleAuditAuthFailureSpike, checks.RuleAuditRequestRateAnomaly, checks.RuleAuditAnonymousRequest)
	bots := map[string]bool{"system:anonymous": true}
	for _, ip := range identBotIPs {
		bots[ip] = true
	}
	fired := map[finding.RuleID]map[string]bool{}
	for _, f := range fs {
		if !bots[f.Object.Name] {
			t.Errorf("normal traffic fired: %s on %s: %s", f.Rule, f.Object, f.Message)
			continue
		}
		if fired[f.Rule] == nil {
			fired[f.Rule] = map[string]bool{}
		}
		fired[f.Rule][f.Object.Name] = true
		if f.Detection == nil || f.Detection.First.Before(t0.Add(18*time.Minute)) || len(f.Detection.Events) == 0 {
			t.Errorf("%s on %s: detection %+v", f.Rule, f.Object, f.Detection)
		}
	}
	for _, rule := range []finding.RuleID{checks.RuleAuditAuthFailureSpike, checks.RuleAuditRequestRateAnomaly, checks.RuleAuditAnonymousRequest} {
		for _, ip := range identBotIPs {
			if !fired[rule][ip] {
				t.Errorf("%s did not fire on %s", rule, ip)
			}
		}
	}
	for _, f := range fs {
		if f.Rule == checks.RuleAuditAuthFailureSpike && f.Object.Name == identBotIPs[0] {
			t.Logf("%s: %s", f.Rule, f.Message)
		}
	}
}
