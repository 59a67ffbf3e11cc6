package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/util/yaml"

	"github.com/kharden/kharden/internal/testcluster"
	"github.com/kharden/kharden/pkg/checks"
	"github.com/kharden/kharden/pkg/rollout"
)

// writeConfig writes a .kharden.yaml and returns its path.
func writeConfig(t *testing.T, doc string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), ".kharden.yaml")
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// exportDocs runs `policy export` and splits its YAML stream.
func exportDocs(t *testing.T, args ...string) []map[string]any {
	t.Helper()
	code, out, stderr := run(t, "", append([]string{"policy", "export"}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader([]byte(out)), 4096)
	var docs []map[string]any
	for {
		var d map[string]any
		if err := dec.Decode(&d); err != nil {
			break
		}
		docs = append(docs, d)
	}
	return docs
}

// Every CEL guardrail is exported with the very expression text the
// offline evaluator runs, stage 1 binds it in Audit, and a deny stage
// scopes Deny to the canary namespaces.
func TestPolicyExport(t *testing.T) {
	noKubeconfig(t)
	cfg := writeConfig(t, "rollout:\n  canary: {namespaces: [shop-canary], selector: 'kharden.dev/canary=true'}\n")
	docs := exportDocs(t, "--config", cfg)
	policies := map[string]admissionregistrationv1.ValidatingAdmissionPolicy{}
	bindings := map[string]admissionregistrationv1.ValidatingAdmissionPolicyBinding{}
	for _, d := range docs {
		if _, ok := d["status"]; ok {
			t.Errorf("%s %v: exported with a status, which belongs to the API server", d["kind"], d["metadata"])
		}
		b, _ := json.Marshal(d)
		switch d["kind"] {
		case "ValidatingAdmissionPolicy":
			var p admissionregistrationv1.ValidatingAdmissionPolicy
			if err := json.Unmarshal(b, &p); err != nil {
				t.Fatal(err)
			}
			policies[p.Name] = p
		case "ValidatingAdmissionPolicyBinding":
			var p admissionregistrationv1.ValidatingAdmissionPolicyBinding
			if err := json.Unmarshal(b, &p); err != nil {
				t.Fatal(err)
			}
			bindings[p.Name] = p
		}
	}
	cel := checks.CELRules()
	if len(cel) == 0 || len(policies) != len(cel) {
		t.Fatalf("%d policies for %d CEL rules", len(policies), len(cel))
	}
	for _, c := range cel {
		p, ok := policies[rollout.PolicyPrefix+string(c.ID)]
		if !ok {
			t.Errorf("%s not exported", c.ID)
			continue
		}
		if !strings.Contains(p.Spec.Validations[0].Expression, c.Guardrail.Expression) {
			t.Errorf("%s: the exported expression is not the offline one", c.ID)
		}
		if len(p.Spec.AuditAnnotations) == 0 || len(p.Spec.MatchConditions) == 0 {
			t.Errorf("%s: no audit annotation or no exception matchCondition", c.ID)
		}
		b := bindings[p.Name]
		if len(b.Spec.ValidationActions) != 1 || b.Spec.ValidationActions[0] != admissionregistrationv1.Audit {
			t.Errorf("%s: stage 1 binding actions %v", c.ID, b.Spec.ValidationActions)
		}
	}
	docs = exportDocs(t, "--config", cfg, "--stage", "deny-canary", "--rules", string(cel[0].ID))
	var deny []string
	for _, d := range docs {
		if d["kind"] == "ValidatingAdmissionPolicyBinding" {
			b, _ := json.Marshal(d)
			if strings.Contains(string(b), `"Deny"`) {
				deny = append(deny, string(b))
			}
		}
	}
	if len(deny) != 2 || !strings.Contains(strings.Join(deny, ""), "shop-canary") || !strings.Contains(strings.Join(deny, ""), "kharden.dev/canary") {
		t.Errorf("deny-canary bindings: %v", deny)
	}
}

func TestRolloutBadInput(t *testing.T) {
	noKubeconfig(t)
	good := writeConfig(t, "")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown rule", []string{"policy", "export", "--rules", "no-such-rule", "--config", good}, "no-such-rule"},
		{"bad stage", []string{"policy", "export", "--stage", "7", "--config", good}, "stage 7"},
		{"bad canary selector", []string{"policy", "export", "--config", writeConfig(t, "rollout:\n  canary: {selector: 'a in (b'}\n")}, "rollout.canary.selector"},
		{"exception without owner", []string{"exceptions", "list", "--config",
			writeConfig(t, "exceptions:\n- {rules: [x], reason: r, expires: 2027-01-01}\n")}, "missing owner"},
		{"exception without expiry", []string{"exceptions", "list", "--config",
			writeConfig(t, "exceptions:\n- {rules: [x], owner: o, reason: r}\n")}, "permanent"},
		{"bad window", []string{"exceptions", "list", "--expiring", "soon", "--config", good}, "--expiring"},
		{"rollout plan unknown rule", []string{"rollout", "plan", "-f", "testdata/clean.yaml", "--rules", "nope", "--config", good}, "nope"},
		{"rollout apply without a cluster", []string{"rollout", "apply", "--stage", "1", "--config", good}, "kubeconfig"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, "", tc.args...)
			if code != ExitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q: want exit 2 naming %q", code, stderr, tc.want)
			}
		})
	}
}

func TestExceptionsList(t *testing.T) {
	noKubeconfig(t)
	now := time.Now().UTC()
	day := func(d int) string { return now.AddDate(0, 0, d).Format("2006-01-02") }
	cfg := writeConfig(t, "exceptions:\n"+
		"- {rules: [image-latest-tag], owner: team-a, reason: migrating, expires: "+day(5)+", scope: {namespaces: [shop]}}\n"+
		"- {rules: [missing-probes], owner: team-b, reason: batch jobs, expires: "+day(-2)+"}\n"+
		"- {rules: [host-path-volume], owner: platform, reason: node exporter reads /proc, permanent: true}\n"+
		"- {rules: [secret-in-env], owner: team-c, reason: legacy, expires: "+day(60)+", scope: {files: [legacy/]}}\n")
	code, out, _ := run(t, "", "exceptions", "list", "--config", cfg)
	if code != ExitFindings || !strings.Contains(out, "EXPIRED") || !strings.Contains(out, "permanent") || !strings.Contains(out, "CI only") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	code, out, _ = run(t, "", "exceptions", "list", "--config", cfg, "--expiring", "14d", "-o", "json")
	var got struct {
		Exceptions []rollout.ExceptionStatus `json:"exceptions"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if code != ExitFindings || len(got.Exceptions) != 2 || got.Exceptions[0].Owner != "team-b" || got.Exceptions[1].Owner != "team-a" {
		t.Errorf("exit %d: %+v", code, got.Exceptions)
	}
}

// rollout plan on files: the guardrails and pod-security judged per
// namespace, as JSON.
func TestRolloutPlanFiles(t *testing.T) {
	noKubeconfig(t)
	code, out, stderr := run(t, "", "rollout", "plan", "-f", "testdata/secrets.yaml", "-o", "json", "--config", writeConfig(t, ""))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var p rollout.Plan
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Rules) != len(rollout.Units()) {
		t.Fatalf("%d rules in the plan", len(p.Rules))
	}
	total := 0
	for _, r := range p.Rules {
		total += r.Total()
		if r.Stage != rollout.StageNone || r.Next != rollout.StageAudit {
			t.Errorf("%s: stage %d next %d", r.Rule, r.Stage, r.Next)
		}
	}
	if total == 0 {
		t.Error("no violation found: the plan judged nothing")
	}
}

// The rollout commands against a real API server: stage by stage, a skip
// refused with nothing written, status, rollback.
func TestRolloutCLILive(t *testing.T) {
	noKubeconfig(t)
	c := testcluster.Start(t, testcluster.Options{})
	cfg := writeConfig(t, "rollout:\n  canary: {namespaces: [canary]}\n")
	kc := []string{"--kubeconfig", c.KubeconfigPath, "--config", cfg}
	rules := []string{"--rules", "image-latest-tag,pod-security"}
	step := func(want int, args ...string) string {
		t.Helper()
		code, out, stderr := run(t, "", append(append(args, kc...), rules...)...)
		if code != want {
			t.Fatalf("%v: exit %d, want %d\n%s%s", args, code, want, out, stderr)
		}
		return out + stderr
	}
	step(0, "rollout", "apply", "--stage", "1")
	out := step(ExitUsage, "rollout", "apply", "--stage", "3")
	if !strings.Contains(out, "skips") {
		t.Errorf("skip not explained: %s", out)
	}
	step(0, "rollout", "apply", "--stage", "2", "--dry-run")
	status := func() map[string]any {
		out := step(0, "rollout", "status", "-o", "json")
		var st struct {
			Rules []struct {
				Rule  string `json:"rule"`
				Stage int    `json:"stage"`
			} `json:"rules"`
		}
		if err := json.Unmarshal([]byte(out[:strings.LastIndex(out, "}")+1]), &st); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		m := map[string]any{}
		for _, r := range st.Rules {
			m[r.Rule] = float64(r.Stage)
		}
		return m
	}
	if s := status(); s["image-latest-tag"] != float64(1) || s["pod-security"] != float64(1) {
		t.Errorf("after the dry run: %v", s)
	}
	step(0, "rollout", "apply", "--stage", "2")
	if s := status(); s["image-latest-tag"] != float64(2) {
		t.Errorf("after stage 2: %v", s)
	}
	step(0, "rollout", "rollback")
	if s := status(); s["image-latest-tag"] != float64(1) || s["pod-security"] != float64(1) {
		t.Errorf("after rollback: %v", s)
	}
}
