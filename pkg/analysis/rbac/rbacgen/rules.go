package rbacgen

// Value pools. Rule pools hold what roles grant, "*" included; request
// pools hold what is asked, wildcards excluded (a request names one verb,
// group and resource).
var (
	ruleVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete",
		"deletecollection", "impersonate", "bind", "escalate"}
	requestVerbs = append(append([]string{}, ruleVerbs...), "use", "proxy")

	apiGroups = []string{"", "apps", "batch", "rbac.authorization.k8s.io", "networking.k8s.io",
		"authentication.k8s.io"}

	// resources are the plain resources; subresources the suffixes rules
	// and requests combine with them.
	resources = []string{"pods", "secrets", "configmaps", "services", "serviceaccounts", "nodes",
		"namespaces", "deployments", "statefulsets", "jobs", "cronjobs", "roles", "rolebindings",
		"clusterroles", "clusterrolebindings", "users", "groups", "userextras", "ingresses"}
	subresources = []string{"exec", "log", "scale", "status", "token", "scopes"}
	// ruleSubresources are the resource/subresource forms rules use.
	ruleSubresources = []string{"pods/exec", "pods/log", "*/scale", "*/status", "deployments/scale",
		"serviceaccounts/token", "userextras/scopes", "pods/status"}

	resourceNames = []string{"alpha", "beta", "gamma"}

	nonResourceVerbs = []string{"get", "post", "put", "delete", "head"}
	nonResourceURLs  = []string{"/healthz", "/healthz/*", "/metrics", "/logs/*", "/api/*", "/apis/apps/*",
		"/version", "/debug/pprof/*", "/livez", "/readyz*"}
	// paths are asked about: exact matches, prefixes and near misses of
	// the URLs above and of the built-in discovery roles'.
	paths = []string{"/healthz", "/healthz/etcd", "/metrics", "/metricsx", "/logs", "/logs/",
		"/logs/kubelet.log", "/api", "/api/v1", "/apis", "/apis/apps/v1", "/apis/batch/v1", "/version",
		"/version/", "/debug/pprof/heap", "/debug", "/livez", "/readyz", "/readyz/ping", "/openapi/v2"}
)

// rules makes one to four rules; cluster allows non-resource rules (a
// Role may not have them).
func (g *gen) rules(cluster bool) []any {
	n := 1 + g.r.IntN(4)
	out := make([]any, 0, n)
	for range n {
		if cluster && g.r.IntN(10) < 2 {
			out = append(out, g.nonResourceRule())
		} else {
			out = append(out, g.resourceRule())
		}
	}
	return out
}

func (g *gen) resourceRule() map[string]any {
	r := g.r
	rule := map[string]any{}
	if r.IntN(10) == 0 {
		rule["verbs"] = []any{"*"}
	} else {
		rule["verbs"] = some(r, ruleVerbs, 3)
	}
	groups := some(r, apiGroups, 2)
	if r.IntN(12) == 0 {
		groups = []any{"*"}
	}
	rule["apiGroups"] = groups
	var res []any
	switch x := r.IntN(20); {
	case x == 0:
		res = []any{"*"}
	case x < 5:
		res = append(some(r, ruleSubresources, 2), some(r, resources, 1)...)
	default:
		res = some(r, resources, 3)
	}
	rule["resources"] = res
	if r.IntN(5) == 0 {
		rule["resourceNames"] = some(r, resourceNames, 2)
	}
	return rule
}

func (g *gen) nonResourceRule() map[string]any {
	r := g.r
	verbs := some(r, nonResourceVerbs, 2)
	if r.IntN(8) == 0 {
		verbs = []any{"*"}
	}
	urls := some(r, nonResourceURLs, 2)
	if r.IntN(30) == 0 {
		urls = []any{"*"}
	}
	return map[string]any{"verbs": verbs, "nonResourceURLs": urls}
}
