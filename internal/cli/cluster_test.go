package cli

import (
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kharden/kharden/internal/testcluster"
	"github.com/kharden/kharden/pkg/inventory"
)

// noKubeconfig points the kubeconfig lookup at nothing, so that the
// machine's own ~/.kube/config never takes part in a test.
func noKubeconfig(t *testing.T) {
	t.Helper()
	// The cluster binaries are found through HOME's cache: pin them first.
	if dir, ok := testcluster.Assets(); ok {
		t.Setenv("KUBEBUILDER_ASSETS", dir)
	}
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "absent"))
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
}

// writeKubeconfig writes a kubeconfig with one context "test" for server,
// authenticating with a bearer token.
func writeKubeconfig(t *testing.T, server string, ca []byte, token string) string {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	kc.Clusters["test"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca, InsecureSkipTLSVerify: ca == nil}
	kc.AuthInfos["test"] = &clientcmdapi.AuthInfo{Token: token}
	kc.Contexts["test"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "test"}
	kc.CurrentContext = "test"
	p := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, p); err != nil {
		t.Fatal(err)
	}
	return p
}

func closedAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "https://" + addr
}

// TestScanClusterUsage: flag errors and unusable kubeconfigs are one line
// and exit 2, without a cluster.
func TestScanClusterUsage(t *testing.T) {
	noKubeconfig(t)
	kc := writeKubeconfig(t, closedAddress(t), nil, "x")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no input and no kubeconfig", []string{"scan"}, "no input"},
		{"cluster and paths", []string{"scan", "--cluster", "testdata/clean.yaml"}, "give no paths"},
		{"-n and -A", []string{"scan", "--kubeconfig", kc, "-n", "a", "-A"}, "exclude each other"},
		{"missing context", []string{"scan", "--kubeconfig", kc, "--context", "nope"}, `context "nope"`},
		{"no kubeconfig", []string{"scan", "--cluster"}, "no kubeconfig found"},
		{"unreachable", []string{"scan", "--kubeconfig", kc, "--request-timeout", "2s"}, "cannot reach the API server at https://127.0.0.1:"},
		{"bad chunk size", []string{"scan", "--kubeconfig", kc, "--chunk-size", "0"}, "--chunk-size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			code, _, stderr := run(t, "", tt.args...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d", code, ExitUsage)
			}
			if !strings.Contains(stderr, tt.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("stderr %q, want one line with %q", stderr, tt.want)
			}
			if time.Since(start) > 5*time.Second {
				t.Errorf("took %s", time.Since(start))
			}
		})
	}
}

// TestScanCluster runs `kharden scan` against a real API server: by flag,
// by default from $KUBECONFIG, one namespace, wrong credentials, and a
// server stopped in the middle of the scan.
func TestScanCluster(t *testing.T) {
	noKubeconfig(t)
	c := testcluster.Start(t, testcluster.Options{})
	ctx := context.Background()
	for _, ns := range []string{"shop", "other"} {
		if _, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		dep := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
			Spec: appsv1.DeploymentSpec{
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:latest",
						SecurityContext: &corev1.SecurityContext{Privileged: new(true)}}}},
				},
			},
		}
		if _, err := c.Client.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	type report struct {
		Inputs   []string
		Findings []struct {
			Rule   string
			Object struct{ Kind, Namespace, Name string }
			Source *struct{ File string }
		}
	}
	parse := func(t *testing.T, stdout string) report {
		t.Helper()
		var rep report
		// JSON output: one header object, then findings; read what we need
		// leniently through the schema-stable fields.
		dec := json.NewDecoder(strings.NewReader(stdout))
		if err := dec.Decode(&rep); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, stdout)
		}
		return rep
	}
	privileged := func(rep report) map[string]bool {
		out := map[string]bool{}
		for _, f := range rep.Findings {
			if f.Rule == "privileged-container" {
				out[f.Object.Namespace+"/"+f.Object.Name] = true
			}
			if f.Source != nil && f.Source.File != "" {
				t.Errorf("cluster finding with a file: %+v", f)
			}
		}
		return out
	}

	t.Run("--cluster", func(t *testing.T) {
		code, stdout, stderr := run(t, "", "scan", "--cluster", "--kubeconfig", c.KubeconfigPath, "-o", "json", "--fail-on", "high")
		if code != ExitFindings {
			t.Fatalf("exit %d, want %d; stderr:\n%s", code, ExitFindings, stderr)
		}
		if got := privileged(parse(t, stdout)); !got["shop/web"] || !got["other/web"] {
			t.Errorf("privileged findings %v", got)
		}
	})

	t.Run("default from KUBECONFIG, one namespace", func(t *testing.T) {
		t.Setenv("KUBECONFIG", c.KubeconfigPath)
		code, stdout, stderr := run(t, "", "scan", "-n", "shop", "-o", "json")
		if code != ExitOK {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr)
		}
		rep := parse(t, stdout)
		if got := privileged(rep); !got["shop/web"] || got["other/web"] {
			t.Errorf("privileged findings %v", got)
		}
		if len(rep.Inputs) != 1 || !strings.Contains(rep.Inputs[0], "context testcluster") || !strings.Contains(rep.Inputs[0], "namespace shop") {
			t.Errorf("inputs %v", rep.Inputs)
		}
	})

	t.Run("wrong credentials", func(t *testing.T) {
		kc := writeKubeconfig(t, c.Config.Host, c.Config.CAData, "not-a-token")
		code, _, stderr := run(t, "", "scan", "--kubeconfig", kc)
		if code != ExitUsage || !strings.Contains(stderr, "401 Unauthorized") || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})

	// Last: it stops the API server.
	t.Run("server stopped mid-scan", func(t *testing.T) {
		var once sync.Once
		progressHook = func(p inventory.ClusterProgress) {
			if p.Done == 3 {
				once.Do(func() { _ = c.Env.ControlPlane.APIServer.Stop() })
			}
		}
		defer func() { progressHook = nil }()
		code, stdout, stderr := run(t, "", "scan", "--kubeconfig", c.KubeconfigPath, "-o", "json")
		if code != ExitUsage {
			t.Errorf("exit %d, want %d", code, ExitUsage)
		}
		if !strings.Contains(stderr, "Error: partial result: ") {
			t.Errorf("stderr does not say partial:\n%s", stderr)
		}
		parse(t, stdout) // the report is still printed
	})
}
