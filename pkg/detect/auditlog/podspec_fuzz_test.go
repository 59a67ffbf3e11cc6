package auditlog

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/valyala/fastjson"

	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/finding"
)

// objFuzzTargets are the requests whose bodies the object detectors read.
var objFuzzTargets = []string{
	`"verb":"create","objectRef":{"resource":"pods","namespace":"dev","apiVersion":"v1"}`,
	`"verb":"patch","objectRef":{"resource":"pods","subresource":"ephemeralcontainers","namespace":"kube-system","name":"p","apiVersion":"v1"}`,
	`"verb":"create","objectRef":{"resource":"pods","namespace":"kube-system","apiVersion":"v1"}`,
	`"verb":"update","objectRef":{"resource":"services","namespace":"dev","name":"s","apiVersion":"v1"}`,
	`"verb":"create","objectRef":{"resource":"configmaps","namespace":"dev","name":"c","apiVersion":"v1"}`,
	`"verb":"create","objectRef":{"resource":"ingresses","namespace":"dev","name":"i","apiGroup":"networking.k8s.io","apiVersion":"v1"}`,
	`"verb":"create","objectRef":{"resource":"clusterroles","name":"r","apiGroup":"rbac.authorization.k8s.io","apiVersion":"v1"}`,
	`"verb":"create","objectRef":{"resource":"rolebindings","namespace":"dev","apiGroup":"rbac.authorization.k8s.io","apiVersion":"v1"}`,
	`"verb":"create","objectRef":{"resource":"daemonsets","namespace":"kube-system","name":"d","apiGroup":"apps","apiVersion":"v1"}`,
	`"verb":"update","objectRef":{"resource":"cronjobs","namespace":"dev","name":"c","apiGroup":"batch","apiVersion":"v1"}`,
}

// FuzzObjectDetectors: any JSON object as the body of a pod, service,
// ConfigMap, Ingress, role or binding request is judged without a panic,
// and a value planted in it never reaches a finding's message.
func FuzzObjectDetectors(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"spec":{"containers":[{"name":"a","securityContext":{"privileged":true}}],"hostPID":true,"volumes":[{"hostPath":{"path":"/"}}]}}`,
		`{"metadata":{"generateName":"x-","annotations":{"kubernetes.io/config.mirror":1}},"spec":{"containers":{"a":1}}}`,
		`{"spec":{"type":"NodePort","ports":[{"port":"x","nodePort":-1},null]}}`,
		`{"data":{"password":"PLANTED-Zq8vR2pL9wXk4m","n":3},"binaryData":{"k":"!!"}}`,
		`{"spec":{"tls":[{"hosts":["*"]},{}],"rules":[{"host":"*.a"},{"host":""}]}}`,
		`{"rules":[{"verbs":["*"],"resources":["*"],"apiGroups":["*"]}],"roleRef":{"kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"ServiceAccount"},7]}`,
		`{"kind":"EphemeralContainers","ephemeralContainers":[{"securityContext":{"privileged":true}}]}`,
		`{"spec":{"template":{"spec":{"hostNetwork":true,"containers":[{"name":"a","securityContext":{"privileged":true}}]}}}}`,
		`{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"volumes":[{"hostPath":{"path":"/var/lib/kubelet"}}],"containers":[null]}}}}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := fastjson.ParseBytes(body)
		if err != nil || v.Type() != fastjson.TypeObject || bytes.ContainsAny(body, "\n\r") {
			return
		}
		var log bytes.Buffer
		for _, target := range objFuzzTargets {
			log.WriteString(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a","stage":"ResponseComplete",` +
				`"requestReceivedTimestamp":"2026-11-25T10:00:00Z","user":{"username":"alice"},"sourceIPs":["10.0.0.1"],` +
				`"responseStatus":{"code":201},` + target + `,"requestObject":`)
			log.Write(body)
			log.WriteString(`,"responseObject":`)
			log.Write(body)
			log.WriteString("}\n")
		}
		eng, err := New(Options{Rules: []finding.RuleID{
			checks.RuleAuditPrivilegedPodCreated, checks.RuleAuditHostAccessPodCreated, checks.RuleAuditClusterAdminGranted,
			checks.RuleAuditPodInKubeSystem, checks.RuleAuditNodePortService, checks.RuleAuditConfigMapCredentials,
			checks.RuleAuditIngressWithoutTLS,
		}})
		if err != nil {
			t.Fatal(err)
		}
		d := NewDecoder(&log, "fuzz.log")
		var ev Event
		for {
			err := d.Next(&ev)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return // a decoder error is the decoder's business (FuzzDecoder)
			}
			eng.Observe(&ev)
		}
		eng.Close()
		for _, fd := range eng.Findings() {
			if fd.Rule == checks.RuleAuditConfigMapCredentials && bytes.Contains(body, []byte("PLANTED-")) &&
				bytes.Contains([]byte(objDump(t, fd)), []byte("PLANTED-")) {
				t.Fatalf("planted value in finding: %s", fd.Message)
			}
		}
	})
}
