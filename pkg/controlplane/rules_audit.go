package controlplane

import (
	"fmt"
	"strings"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// auditRequest is a representative API request the audit policy is
// evaluated against.
type auditRequest struct {
	verb, group, resource, subresource, namespace string
}

func (r auditRequest) String() string {
	res := r.resource
	if r.subresource != "" {
		res += "/" + r.subresource
	}
	if r.group != "" {
		res += "." + r.group
	}
	return r.verb + " " + res
}

// auditUser is the requester simulated: an ordinary authenticated user, so
// rules written for system components' users and groups do not match.
var (
	auditUser   = "kharden:simulated-user"
	auditGroups = []string{"system:authenticated"}
)

// bodyless are requests whose bodies hold secrets: they must not be logged
// at Request or RequestResponse.
var bodyless = func() []auditRequest {
	var out []auditRequest
	for _, res := range []string{"secrets", "configmaps"} {
		for _, v := range []string{"get", "list", "watch", "create", "update", "patch", "delete"} {
			out = append(out, auditRequest{verb: v, resource: res, namespace: "default"})
		}
	}
	return append(out, auditRequest{verb: "create", group: "authentication.k8s.io", resource: "tokenreviews"})
}()

// recorded are requests that must be recorded at Metadata or above.
var recorded = func() []auditRequest {
	var out []auditRequest
	for _, res := range []string{"roles", "rolebindings", "clusterroles", "clusterrolebindings"} {
		ns := "default"
		if strings.HasPrefix(res, "cluster") {
			ns = ""
		}
		for _, v := range []string{"create", "update", "patch", "delete"} {
			out = append(out, auditRequest{verb: v, group: "rbac.authorization.k8s.io", resource: res, namespace: ns})
		}
	}
	for _, sub := range []string{"exec", "attach", "portforward"} {
		out = append(out, auditRequest{verb: "create", resource: "pods", subresource: sub, namespace: "default"},
			auditRequest{verb: "get", resource: "pods", subresource: sub, namespace: "default"})
	}
	return append(out, auditRequest{verb: "create", resource: "pods", namespace: "default"})
}()

// auditLevelRank orders levels.
func auditLevelRank(l auditv1.Level) int {
	switch l {
	case auditv1.LevelMetadata:
		return 1
	case auditv1.LevelRequest:
		return 2
	case auditv1.LevelRequestResponse:
		return 3
	}
	return 0
}

// evaluate returns the level and omitted stages of the first rule matching
// the request (the API server's policy checker), and the rule's index (-1
// when none matches: level None).
func evaluate(p *auditv1.Policy, r auditRequest) (auditv1.Level, []auditv1.Stage, int) {
	for i := range p.Rules {
		rule := &p.Rules[i]
		if ruleMatches(rule, r) {
			return rule.Level, append(append([]auditv1.Stage(nil), p.OmitStages...), rule.OmitStages...), i
		}
	}
	return auditv1.LevelNone, nil, -1
}

func ruleMatches(rule *auditv1.PolicyRule, r auditRequest) bool {
	if len(rule.Users) > 0 && !contains(rule.Users, auditUser) {
		return false
	}
	if len(rule.UserGroups) > 0 && !anyIn(rule.UserGroups, auditGroups) {
		return false
	}
	if len(rule.Verbs) > 0 && !contains(rule.Verbs, r.verb) && !contains(rule.Verbs, "*") {
		return false
	}
	if len(rule.NonResourceURLs) > 0 {
		return false // every simulated request is a resource request
	}
	if len(rule.Namespaces) > 0 && !contains(rule.Namespaces, r.namespace) {
		return false
	}
	if len(rule.Resources) == 0 {
		return true
	}
	combined := r.resource
	if r.subresource != "" {
		combined += "/" + r.subresource
	}
	for _, gr := range rule.Resources {
		if gr.Group != r.group {
			continue
		}
		if len(gr.Resources) == 0 {
			return true
		}
		if len(gr.ResourceNames) > 0 {
			continue // the simulated requests are about every object, not named ones
		}
		for _, res := range gr.Resources {
			switch {
			case res == combined, res == "*":
				return true
			case r.subresource != "" && res == "*/"+r.subresource:
				return true
			case strings.HasSuffix(res, "/*") && strings.TrimSuffix(res, "/*") == r.resource:
				return true
			}
		}
	}
	return false
}

// isRecorded: a level of Metadata or above with at least one of the stages
// a request goes through not omitted.
func isRecorded(level auditv1.Level, omit []auditv1.Stage) bool {
	if auditLevelRank(level) < 1 {
		return false
	}
	for _, s := range []auditv1.Stage{auditv1.StageRequestReceived, auditv1.StageResponseStarted, auditv1.StageResponseComplete} {
		if !containsStage(omit, s) {
			return true
		}
	}
	return false
}

// checkAuditPolicy simulates representative requests against the policy.
func checkAuditPolicy(a *apiserver, e *emitter) {
	if a.audit == nil {
		return
	}
	p, cf := a.audit, a.auditFile
	rules := lookup(cf.Node, "rules")
	src := func(i int) *finding.Source {
		if i >= 0 && rules != nil && i < len(rules.Content) {
			return fileSource(cf, rules.Content[i])
		}
		return fileSource(cf, rules)
	}
	var bodies, missing []string
	bodyRule, missRule := -1, -1
	for _, r := range bodyless {
		level, omit, i := evaluate(p, r)
		if auditLevelRank(level) >= 2 && isRecorded(level, omit) {
			bodies = append(bodies, fmt.Sprintf("%s at %s", r, level))
			if bodyRule < 0 {
				bodyRule = i
			}
		}
	}
	for _, r := range recorded {
		level, omit, i := evaluate(p, r)
		if !isRecorded(level, omit) {
			missing = append(missing, r.String())
			if missRule < 0 {
				missRule = i
			}
		}
	}
	if len(bodies) > 0 {
		e.add(checks.RuleAPIServerAuditPolicyWeak, a.pod.Object, src(bodyRule), "rules",
			"the audit policy logs request bodies of secret-bearing requests: %s", summarise(bodies))
	}
	if len(missing) > 0 {
		e.add(checks.RuleAPIServerAuditPolicyWeak, a.pod.Object, src(missRule), "rules",
			"the audit policy does not record: %s", summarise(missing))
	}
	if n := len(p.Rules); n > 0 && p.Rules[n-1].Level == auditv1.LevelNone && isCatchAll(&p.Rules[n-1]) {
		e.add(checks.RuleAPIServerAuditPolicyWeak, a.pod.Object, src(n-1), "rules",
			"the audit policy ends with a catch-all rule at level None: requests no earlier rule names go unrecorded")
	}
}

// isCatchAll reports a rule that matches every request.
func isCatchAll(r *auditv1.PolicyRule) bool {
	return len(r.Users) == 0 && len(r.UserGroups) == 0 && len(r.Verbs) == 0 && len(r.Resources) == 0 &&
		len(r.Namespaces) == 0 && len(r.NonResourceURLs) == 0
}

// summarise lists the first few items.
func summarise(items []string) string {
	const max = 4
	if len(items) <= max {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:max], ", "), len(items)-max)
}

func anyIn(list, want []string) bool {
	for _, w := range want {
		if contains(list, w) {
			return true
		}
	}
	return false
}

func containsStage(list []auditv1.Stage, s auditv1.Stage) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
