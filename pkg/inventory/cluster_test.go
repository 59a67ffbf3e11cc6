package inventory

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestSelectResources(t *testing.T) {
	lists := []*metav1.APIResourceList{
		{GroupVersion: "v1", APIResources: []metav1.APIResource{
			{Name: "pods", Kind: "Pod", Namespaced: true, Verbs: metav1.Verbs{"get", "list", "watch"}},
			{Name: "pods/log", Kind: "Pod", Namespaced: true, Verbs: metav1.Verbs{"get"}},
			{Name: "pods/status", Kind: "Pod", Namespaced: true, Verbs: metav1.Verbs{"get", "list"}},
			{Name: "bindings", Kind: "Binding", Namespaced: true, Verbs: metav1.Verbs{"create"}},
			{Name: "namespaces", Kind: "Namespace", Verbs: metav1.Verbs{"get", "list"}},
			{Name: "events", Kind: "Event", Namespaced: true, Verbs: metav1.Verbs{"list"}},
		}},
		{GroupVersion: "events.k8s.io/v1", APIResources: []metav1.APIResource{
			{Name: "events", Kind: "Event", Namespaced: true, Verbs: metav1.Verbs{"list"}},
		}},
		{GroupVersion: "apps/v1", APIResources: []metav1.APIResource{
			{Name: "deployments", Kind: "Deployment", Namespaced: true, Verbs: metav1.Verbs{"list"}},
		}},
		// The same group/resource again in another version: the first (the
		// preferred one) wins.
		{GroupVersion: "apps/v1beta2", APIResources: []metav1.APIResource{
			{Name: "deployments", Kind: "Deployment", Namespaced: true, Verbs: metav1.Verbs{"list"}},
		}},
		{GroupVersion: "authentication.k8s.io/v1", APIResources: []metav1.APIResource{
			{Name: "tokenreviews", Kind: "TokenReview", Verbs: metav1.Verbs{"create"}},
		}},
		nil,
	}
	tests := []struct {
		namespaced bool
		want       []string
	}{
		{false, []string{"apps/v1/deployments", "/v1/events", "/v1/namespaces", "/v1/pods"}},
		{true, []string{"apps/v1/deployments", "/v1/events", "/v1/pods"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("namespaced=", tt.namespaced), func(t *testing.T) {
			var got []string
			for _, r := range selectResources(lists, tt.namespaced) {
				got = append(got, r.GVR.Group+"/"+r.GVR.Version+"/"+r.GVR.Resource)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestListDiagnostic(t *testing.T) {
	r := clusterResource{GVR: schema.GroupVersionResource{Group: "stable.example.com", Version: "v1", Resource: "crontabs"}, Kind: "CronTab"}
	gr := r.GVR.GroupResource()
	refused := &url.Error{Op: "Get", URL: "https://127.0.0.1:1/apis", Err: &net.OpError{Op: "dial", Net: "tcp",
		Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}}
	tests := []struct {
		name      string
		err       error
		warning   bool
		transient bool
		message   string
	}{
		{"forbidden", apierrors.NewForbidden(gr, "", errors.New("no")), true, false, "not visible: crontabs.stable.example.com: forbidden"},
		{"gone", apierrors.NewNotFound(gr, ""), true, false, "not visible: crontabs.stable.example.com: no longer served"},
		{"conversion", apierrors.NewInternalError(errors.New("conversion webhook for stable.example.com/v1, Kind=CronTab failed: connection refused")),
			true, false, "not visible: crontabs.stable.example.com: objects could not be decoded: "},
		{"decode", fmt.Errorf("decoding: %w", &jsonSyntaxError), true, false, "objects could not be decoded"},
		{"5xx", apierrors.NewInternalError(errors.New("etcd leader changed")), false, true,
			"partial result: crontabs.stable.example.com could not be listed: Internal error occurred: etcd leader changed"},
		{"503", apierrors.NewServiceUnavailable("restarting"), false, true, "partial result:"},
		{"429", apierrors.NewTooManyRequests("slow down", 1), false, true, "partial result:"},
		{"refused", refused, false, true, "could not be listed: dial tcp: connect: connection refused"},
		{"broken pipe", &url.Error{Op: "Get", URL: "https://h/apis", Err: &net.OpError{Op: "write", Net: "tcp",
			Err: &os.SyscallError{Syscall: "write", Err: syscall.EPIPE}}}, false, true, "could not be listed: write tcp: write: broken pipe"},
		{"http2 closed", errors.New(`Get "https://h/apis": http2: client connection force closed via ClientConn.Close`), false, true, "partial result:"},
		{"other", errors.New("x509: certificate signed by unknown authority"), false, false, "partial result:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := listDiagnostic(r, tt.err)
			if d.Warning != tt.warning {
				t.Errorf("warning = %v, want %v (%s)", d.Warning, tt.warning, d.Message)
			}
			if !strings.Contains(d.Message, tt.message) {
				t.Errorf("message %q lacks %q", d.Message, tt.message)
			}
			if strings.Contains(d.Message, "\n") {
				t.Errorf("message spans lines: %q", d.Message)
			}
			if got := isTransient(tt.err); got != tt.transient {
				t.Errorf("isTransient = %v, want %v", got, tt.transient)
			}
		})
	}
}

func TestContactError(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{apierrors.NewUnauthorized("Unauthorized"), "rejected the credentials (401 Unauthorized)"},
		{&url.Error{Op: "Get", URL: "https://h/version", Err: &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}},
			"cannot reach the API server at https://h: dial tcp: connect: connection refused"},
	}
	for _, tt := range tests {
		if got := contactError("https://h", tt.err).Error(); !strings.Contains(got, tt.want) {
			t.Errorf("contactError(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestClusterObject(t *testing.T) {
	r := clusterResource{GVR: schema.GroupVersionResource{Version: "v1", Resource: "secrets"}, Kind: "Secret"}
	content := map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{
		"name": "s", "namespace": "ns",
		"managedFields": []any{map[string]any{"manager": "kubectl"}},
		"annotations":   map[string]any{lastApplied: `{"data":{"password":"aHVudGVyMg=="}}`},
	}}
	o, d := clusterObject(r, content)
	if o == nil {
		t.Fatal(d)
	}
	if o.Origin != OriginCluster || o.Source.File != "" || o.Source.Line != 0 {
		t.Errorf("origin %s source %+v", o.Origin, o.Source)
	}
	if _, ok := o.Metadata()["managedFields"]; ok {
		t.Error("managedFields kept")
	}
	if v, _ := o.Annotation(lastApplied); v != "" {
		t.Errorf("last-applied configuration of a Secret kept: %q", v)
	}

	crd := clusterResource{GVR: schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}, Kind: "CustomResourceDefinition"}
	o, _ = clusterObject(crd, map[string]any{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "a.b"}, "spec": map[string]any{"group": "b"}})
	if _, ok := o.Content["spec"]; ok || len(o.Elided) != 1 {
		t.Errorf("CRD spec not elided: %v", o.Elided)
	}

	if o, d := clusterObject(r, map[string]any{"metadata": map[string]any{"name": "x"}}); o != nil || !d.Warning {
		t.Errorf("object without apiVersion: %v %v", o, d)
	}
}

var jsonSyntaxError = func() json.SyntaxError {
	var se *json.SyntaxError
	errors.As(json.Unmarshal([]byte("{"), &struct{}{}), &se)
	return *se
}()
