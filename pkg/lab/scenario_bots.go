package lab

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// botIPs are the sources of the spike (documentation ranges: the log is
// fiction, nothing is ever sent to them).
var botIPs = []string{"203.0.113.45", "198.51.100.23", "192.0.2.200"}

func writeBotsAuditLog(_ context.Context, r *scenarioRun) error {
	return r.writeFile("audit.log", func(w io.Writer) error { return writeBotsAudit(w, logEpoch) })
}

// probe is one request a bot tries.
type probe struct {
	verb, uri, resource, namespace, group, version string
}

var botProbes = []probe{
	{"list", "/api/v1/secrets", "secrets", "", "", "v1"},
	{"list", "/api/v1/namespaces/kube-system/secrets", "secrets", "kube-system", "", "v1"},
	{"list", "/api/v1/pods", "pods", "", "", "v1"},
	{"list", "/api/v1/configmaps", "configmaps", "", "", "v1"},
	{"list", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", "clusterrolebindings", "", "rbac.authorization.k8s.io", "v1"},
	{"create", "/api/v1/namespaces/default/pods", "pods", "default", "", "v1"},
	{"get", "/api/v1/nodes", "nodes", "", "", "v1"},
	{"get", "/.env", "", "", "", ""},
	{"get", "/version", "", "", "", ""},
}

// writeBotsAudit writes 30 minutes of audit.k8s.io/v1 events (JSON lines, as
// the API server's log backend writes them): about one request a second from
// controllers and people, then from minute 18 to 23 three source IPs
// hammering the API at about 25 requests a second in total — invalid bearer
// tokens (401), anonymous requests refused (403), and anonymous reads that
// the anonymous-view binding lets through (200).
func writeBotsAudit(w io.Writer, start time.Time) error {
	r := rand.New(rand.NewPCG(1, 1))
	var events []auditv1.Event
	uid := func() types.UID {
		return types.UID(fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", r.Uint32(), r.IntN(1<<16), r.IntN(1<<12), r.IntN(1<<12), r.Uint64()&(1<<48-1)))
	}
	add := func(t time.Time, user authnv1.UserInfo, ip, agent string, p probe, code int32) {
		ev := auditv1.Event{
			TypeMeta:                 metav1.TypeMeta{Kind: "Event", APIVersion: "audit.k8s.io/v1"},
			Level:                    "Metadata",
			AuditID:                  uid(),
			Stage:                    "ResponseComplete",
			RequestURI:               p.uri,
			Verb:                     p.verb,
			User:                     user,
			SourceIPs:                []string{ip},
			UserAgent:                agent,
			ResponseStatus:           &metav1.Status{Code: code},
			RequestReceivedTimestamp: metav1.NewMicroTime(t),
			StageTimestamp:           metav1.NewMicroTime(t.Add(time.Duration(300+r.IntN(4000)) * time.Microsecond)),
		}
		if p.resource != "" {
			ev.ObjectRef = &auditv1.ObjectReference{Resource: p.resource, Namespace: p.namespace, APIGroup: p.group, APIVersion: p.version}
		}
		switch code {
		case http.StatusUnauthorized:
			ev.ResponseStatus = &metav1.Status{Status: metav1.StatusFailure, Message: "Unauthorized", Reason: metav1.StatusReasonUnauthorized, Code: code}
		case http.StatusForbidden:
			ev.ResponseStatus = &metav1.Status{Status: metav1.StatusFailure, Reason: metav1.StatusReasonForbidden, Code: code,
				Message: fmt.Sprintf("%s is forbidden: User %q cannot %s resource %q", p.resource, user.Username, p.verb, p.resource)}
			ev.Annotations = map[string]string{"authorization.k8s.io/decision": "forbid"}
		default:
			ev.Annotations = map[string]string{"authorization.k8s.io/decision": "allow",
				"authorization.k8s.io/reason": `RBAC: allowed by ClusterRoleBinding "anonymous-view" of ClusterRole "view" to Group "system:unauthenticated"`}
		}
		events = append(events, ev)
	}
	people := []struct {
		user  authnv1.UserInfo
		ip    string
		agent string
		p     probe
	}{
		{authnv1.UserInfo{Username: "system:serviceaccount:shop:checkout", Groups: []string{"system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated"}},
			"10.244.1.5", "checkout/3.2.0", probe{"get", "/api/v1/namespaces/shop/configmaps/checkout", "configmaps", "shop", "", "v1"}},
		{authnv1.UserInfo{Username: "alice@example.com", Groups: []string{"dev", "system:authenticated"}},
			"10.20.0.14", "kubectl/v1.37.2 (linux/amd64) kubernetes/abcdef0", probe{"list", "/api/v1/namespaces/shop/pods?limit=500", "pods", "shop", "", "v1"}},
		{authnv1.UserInfo{Username: "system:kube-controller-manager", Groups: []string{"system:authenticated"}},
			"127.0.0.1", "kube-controller-manager/v1.37.2", probe{"update", "/api/v1/namespaces/kube-system/serviceaccounts/default", "serviceaccounts", "kube-system", "", "v1"}},
		{authnv1.UserInfo{Username: "ci-deployer", Groups: []string{"ci", "system:authenticated"}},
			"10.20.0.50", "helm/v3.22.0", probe{"patch", "/apis/apps/v1/namespaces/shop/deployments/pricing", "deployments", "shop", "apps", "v1"}},
	}
	const span = 30 * time.Minute
	for t := start; t.Before(start.Add(span)); t = t.Add(time.Duration(500+r.IntN(1000)) * time.Millisecond) {
		p := people[r.IntN(len(people))]
		add(t, p.user, p.ip, p.agent, p.p, http.StatusOK)
	}
	agents := []string{"python-requests/2.31.0", "Go-http-client/1.1", "curl/8.5.0", "Mozilla/5.0 zgrab/0.x"}
	anonymous := authnv1.UserInfo{Username: "system:anonymous", Groups: []string{"system:unauthenticated"}}
	for i, ip := range botIPs {
		agent := agents[i%len(agents)]
		for t := start.Add(18*time.Minute + time.Duration(i)*7*time.Second); t.Before(start.Add(23 * time.Minute)); t = t.Add(time.Duration(80+r.IntN(160)) * time.Millisecond) {
			p := botProbes[r.IntN(len(botProbes))]
			switch {
			case r.IntN(2) == 0:
				// A guessed or stolen bearer token: authentication fails.
				add(t, authnv1.UserInfo{}, ip, agent, p, http.StatusUnauthorized)
			case p.verb == "list" && (p.resource == "pods" || p.resource == "configmaps"), p.uri == "/version":
				add(t, anonymous, ip, agent, p, http.StatusOK)
			default:
				add(t, anonymous, ip, agent, p, http.StatusForbidden)
			}
		}
	}
	slices.SortStableFunc(events, func(a, b auditv1.Event) int {
		return a.RequestReceivedTimestamp.Time.Compare(b.RequestReceivedTimestamp.Time)
	})
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	for i := range events {
		if err := enc.Encode(&events[i]); err != nil {
			return err
		}
	}
	return bw.Flush()
}
