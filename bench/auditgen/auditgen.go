// Package auditgen writes synthetic audit.k8s.io/v1 logs shaped like a busy
// cluster's: controllers and kubelets renewing leases and watching, people
// and CI reading and deploying, ReplicaSets creating pods (with their bodies,
// as a RequestResponse policy records them), operators reading Secrets, and a
// little noise of denied requests — about 1 KB an event on average. The
// benchmarks read it; nothing in it is real.
package auditgen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// Start is the time of the first event.
var Start = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

// Write writes n events, about 300 a second of log time, and returns the
// bytes written.
func Write(w io.Writer, n int, seed uint64) (int64, error) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	cw := &countWriter{w: bufio.NewWriterSize(w, 1<<20)}
	enc := json.NewEncoder(cw)
	namespaces := []string{"shop", "payments", "dev", "monitoring", "ingress-nginx", "kube-system", "cert-manager", "argocd"}
	t := Start
	for i := 0; i < n; i++ {
		t = t.Add(time.Duration(1+r.IntN(6)) * time.Millisecond)
		ev := event(r, t, i, namespaces)
		if err := enc.Encode(ev); err != nil {
			return cw.n, err
		}
	}
	return cw.n, cw.w.(*bufio.Writer).Flush()
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func event(r *rand.Rand, t time.Time, i int, nss []string) *auditv1.Event {
	ns := nss[r.IntN(len(nss))]
	ev := &auditv1.Event{
		TypeMeta:                 metav1.TypeMeta{Kind: "Event", APIVersion: "audit.k8s.io/v1"},
		Level:                    auditv1.LevelMetadata,
		AuditID:                  types.UID(fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", r.Uint32(), r.IntN(1<<16), r.IntN(1<<12), r.IntN(1<<12), uint64(i))),
		Stage:                    auditv1.StageResponseComplete,
		ResponseStatus:           &metav1.Status{Code: 200},
		RequestReceivedTimestamp: metav1.NewMicroTime(t),
		StageTimestamp:           metav1.NewMicroTime(t.Add(time.Duration(200+r.IntN(5000)) * time.Microsecond)),
		Annotations: map[string]string{
			"authorization.k8s.io/decision": "allow",
			"authorization.k8s.io/reason":   `RBAC: allowed by ClusterRoleBinding "system:controller:generic" of ClusterRole "system:controller:generic" to ServiceAccount "generic/kube-system"`,
		},
	}
	node := fmt.Sprintf("worker-%02d", r.IntN(40))
	switch k := r.IntN(100); {
	case k < 45: // kubelets and controllers renewing leases
		ev.User = authnv1.UserInfo{Username: "system:node:" + node, Groups: []string{"system:nodes", "system:authenticated"}}
		ev.SourceIPs = []string{fmt.Sprintf("192.168.10.%d", 10+r.IntN(40))}
		ev.UserAgent = "kubelet/v1.37.2 (linux/amd64) kubernetes/8f3a2c1"
		ev.Verb = "update"
		ev.RequestURI = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/" + node + "?timeout=10s"
		ev.ObjectRef = &auditv1.ObjectReference{Resource: "leases", Namespace: "kube-node-lease", Name: node, APIGroup: "coordination.k8s.io", APIVersion: "v1", UID: types.UID(fmt.Sprintf("lease-%s", node)), ResourceVersion: fmt.Sprint(100000 + i)}
		ev.Annotations["authorization.k8s.io/reason"] = ""
	case k < 65: // controllers watching and listing
		sa := []string{"replicaset-controller", "endpointslice-controller", "deployment-controller", "namespace-controller"}[r.IntN(4)]
		ev.User = authnv1.UserInfo{Username: "system:serviceaccount:kube-system:" + sa, UID: "c8f1", Groups: []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"}}
		ev.SourceIPs = []string{"192.168.10.2"}
		ev.UserAgent = "kube-controller-manager/v1.37.2 (linux/amd64) kubernetes/8f3a2c1/system:serviceaccount:kube-system:" + sa
		res := []string{"pods", "endpoints", "replicasets", "services"}[r.IntN(4)]
		ev.Verb = []string{"list", "watch", "get"}[r.IntN(3)]
		ev.RequestURI = "/api/v1/namespaces/" + ns + "/" + res + "?resourceVersion=123456&timeout=8m13s&timeoutSeconds=493&watch=true"
		ev.ObjectRef = &auditv1.ObjectReference{Resource: res, Namespace: ns, APIVersion: "v1"}
	case k < 78: // people and CI reading
		user := []string{"alice@example.com", "bob@example.com", "ci-deployer"}[r.IntN(3)]
		ev.User = authnv1.UserInfo{Username: user, Groups: []string{"dev", "system:authenticated"}}
		ev.SourceIPs = []string{fmt.Sprintf("10.20.0.%d", 10+r.IntN(50))}
		ev.UserAgent = "kubectl/v1.37.2 (linux/amd64) kubernetes/8f3a2c1"
		res := []string{"pods", "deployments", "configmaps", "events"}[r.IntN(4)]
		ev.Verb = []string{"get", "list"}[r.IntN(2)]
		ev.RequestURI = "/api/v1/namespaces/" + ns + "/" + res + "?limit=500"
		ev.ObjectRef = &auditv1.ObjectReference{Resource: res, Namespace: ns, APIVersion: "v1"}
	case k < 88: // ReplicaSets creating pods, bodies recorded
		name := fmt.Sprintf("web-%x", r.Uint32())
		ev.Level = auditv1.LevelRequest
		ev.User = authnv1.UserInfo{Username: "system:serviceaccount:kube-system:replicaset-controller", Groups: []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"}}
		ev.SourceIPs = []string{"192.168.10.2"}
		ev.UserAgent = "kube-controller-manager/v1.37.2 (linux/amd64) kubernetes/8f3a2c1/system:serviceaccount:kube-system:replicaset-controller"
		ev.Verb = "create"
		ev.RequestURI = "/api/v1/namespaces/" + ns + "/pods"
		ev.ObjectRef = &auditv1.ObjectReference{Resource: "pods", Namespace: ns, Name: name, APIVersion: "v1"}
		ev.ResponseStatus.Code = 201
		ev.RequestObject = podBody(r, ns, name)
	case k < 93: // operators reading Secrets
		ev.User = authnv1.UserInfo{Username: "system:serviceaccount:cert-manager:cert-manager", Groups: []string{"system:serviceaccounts", "system:serviceaccounts:cert-manager", "system:authenticated"}}
		ev.SourceIPs = []string{"10.244.1.30"}
		ev.UserAgent = "cert-manager-controller/v1.19.1 (linux/amd64) cert-manager/4a1b2c3d"
		ev.Verb = "get"
		name := fmt.Sprintf("tls-%d", r.IntN(30))
		ev.RequestURI = "/api/v1/namespaces/" + ns + "/secrets/" + name
		ev.ObjectRef = &auditv1.ObjectReference{Resource: "secrets", Namespace: ns, Name: name, APIVersion: "v1"}
	case k < 97: // denied requests
		ev.User = authnv1.UserInfo{Username: "system:serviceaccount:" + ns + ":default", Groups: []string{"system:serviceaccounts", "system:authenticated"}}
		ev.SourceIPs = []string{fmt.Sprintf("10.244.%d.%d", r.IntN(4), 2+r.IntN(200))}
		ev.UserAgent = "Go-http-client/2.0"
		ev.Verb = "list"
		ev.RequestURI = "/api/v1/namespaces/" + ns + "/secrets"
		ev.ObjectRef = &auditv1.ObjectReference{Resource: "secrets", Namespace: ns, APIVersion: "v1"}
		ev.ResponseStatus = &metav1.Status{Status: "Failure", Reason: metav1.StatusReasonForbidden, Code: 403,
			Message: `secrets is forbidden: User "system:serviceaccount:` + ns + `:default" cannot list resource "secrets" in API group "" in the namespace "` + ns + `"`}
		ev.Annotations = map[string]string{"authorization.k8s.io/decision": "forbid", "authorization.k8s.io/reason": ""}
	default: // health checks
		ev.User = authnv1.UserInfo{Username: "system:anonymous", Groups: []string{"system:unauthenticated"}}
		ev.SourceIPs = []string{"192.168.10.1"}
		ev.UserAgent = "kube-probe/1.37"
		ev.Verb = "get"
		ev.RequestURI = "/readyz"
	}
	return ev
}

// podBody is a ReplicaSet's pod: two containers, probes, resources.
func podBody(r *rand.Rand, ns, name string) *runtime.Unknown {
	pod := corev1.Pod{
		TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, GenerateName: "web-", Labels: map[string]string{
			"app.kubernetes.io/name": "web", "pod-template-hash": fmt.Sprintf("%x", r.Uint32())},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-5d8b9c7f6", UID: "0a1b2c3d"}}},
		Spec: corev1.PodSpec{
			ServiceAccountName: "web",
			Containers: []corev1.Container{{
				Name: "web", Image: "registry.example.com/shop/web@sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
				Ports:          []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: "TCP"}},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/readyz"}}},
			}, {
				Name: "proxy", Image: "registry.example.com/infra/proxy:1.8.2",
			}},
		},
	}
	b, _ := json.Marshal(pod)
	return &runtime.Unknown{Raw: b, ContentType: runtime.ContentTypeJSON}
}
