package psa

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/pod-security-admission/api"
)

// Change sets one mode of one namespace to a level, with a pinned version.
type Change struct {
	Namespace string
	Mode      Mode
	Level     api.Level
	Version   string
}

// Outcome is what happened to one namespace.
type Outcome struct {
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels"`
	// Warnings are the API server's warnings on the dry-run (for enforce,
	// the existing pods that would violate the new level).
	Warnings []string `json:"warnings,omitempty"`
	Error    string   `json:"error,omitempty"`
}

// ApplyResult reports a run of Apply.
type ApplyResult struct {
	// Applied is true when the labels were written.
	Applied  bool      `json:"applied"`
	Outcomes []Outcome `json:"namespaces"`
}

// ErrDryRunFailed is returned when the server-side dry-run of some change
// failed: nothing was written.
var ErrDryRunFailed = errors.New("the server-side dry-run failed for some namespace: nothing was written")

// Apply labels the namespaces. Every change is first sent as a server-side
// dry-run, collecting the API server's warnings; if any dry-run fails,
// nothing is written. Otherwise, unless dryRun, the changes are written; if
// a write fails, the namespaces already written get their previous labels
// back, so that a run is all or nothing.
func Apply(ctx context.Context, cfg *rest.Config, changes []Change, dryRun bool) (*ApplyResult, error) {
	warns := &warningCollector{}
	c := rest.CopyConfig(cfg)
	c.WarningHandler = warns
	client, err := kubernetes.NewForConfig(c)
	if err != nil {
		return nil, err
	}
	res := &ApplyResult{Outcomes: make([]Outcome, len(changes))}
	previous := make([]map[string]string, len(changes))
	failed := false
	for i, ch := range changes {
		out := &res.Outcomes[i]
		out.Namespace, out.Labels = ch.Namespace, Labels(ch.Mode, ch.Level, ch.Version)
		ns, err := client.CoreV1().Namespaces().Get(ctx, ch.Namespace, metav1.GetOptions{})
		if err == nil {
			previous[i] = ns.Labels
			warns.take()
			err = patchLabels(ctx, client, ch.Namespace, labelValues(out.Labels), true)
			out.Warnings = warns.take()
		}
		if err != nil {
			out.Error = errorText(err)
			failed = true
		}
	}
	if failed {
		return res, ErrDryRunFailed
	}
	if dryRun {
		return res, nil
	}
	for i, ch := range changes {
		if err := patchLabels(ctx, client, ch.Namespace, labelValues(res.Outcomes[i].Labels), false); err != nil {
			res.Outcomes[i].Error = errorText(err)
			return res, fmt.Errorf("namespace %s: %s; %w", ch.Namespace, errorText(err), revert(ctx, client, changes[:i], previous))
		}
	}
	res.Applied = true
	return res, nil
}

// revert restores the labels the changes touched.
func revert(ctx context.Context, client kubernetes.Interface, done []Change, previous []map[string]string) error {
	var failed []string
	for i, ch := range done {
		old := map[string]*string{}
		for _, k := range []string{ch.Mode.LevelLabel(), ch.Mode.VersionLabel()} {
			if v, ok := previous[i][k]; ok {
				old[k] = &v
			} else {
				old[k] = nil
			}
		}
		if err := patchLabels(ctx, client, ch.Namespace, old, false); err != nil {
			failed = append(failed, ch.Namespace)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("could not restore the previous labels of %v", failed)
	}
	if len(done) == 0 {
		return errors.New("nothing was written")
	}
	return fmt.Errorf("the %d namespace(s) already written got their previous labels back", len(done))
}

func labelValues(m map[string]string) map[string]*string {
	out := make(map[string]*string, len(m))
	for k, v := range m {
		out[k] = &v
	}
	return out
}

// patchLabels sends a JSON merge patch of the labels (nil removes one).
func patchLabels(ctx context.Context, client kubernetes.Interface, ns string, values map[string]*string, dryRun bool) error {
	body, err := json.Marshal(map[string]any{"metadata": map[string]any{"labels": values}})
	if err != nil {
		return err
	}
	opts := metav1.PatchOptions{FieldManager: "kharden"}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	_, err = client.CoreV1().Namespaces().Patch(ctx, ns, types.MergePatchType, body, opts)
	return err
}

// errorText is the API server's message for a status error, the error
// otherwise.
func errorText(err error) string {
	var st apierrors.APIStatus
	if errors.As(err, &st) && st.Status().Message != "" {
		return st.Status().Message
	}
	return err.Error()
}

// warningCollector gathers the Warning headers of the responses.
type warningCollector struct {
	mu   sync.Mutex
	list []string
}

// HandleWarningHeader implements rest.WarningHandler.
func (w *warningCollector) HandleWarningHeader(code int, _ string, text string) {
	if code != 299 || text == "" {
		return
	}
	w.mu.Lock()
	w.list = append(w.list, text)
	w.mu.Unlock()
}

func (w *warningCollector) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.list
	w.list = nil
	return out
}

// Selection names the namespaces to label: a list, a label selector, or
// every namespace.
type Selection struct {
	Names    []string
	Selector string
	All      bool
}

// ParseSelector checks a label selector as the API server would read it.
func ParseSelector(s string) (labels.Selector, error) {
	sel, err := labels.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("invalid --selector %q: %v", s, err)
	}
	return sel, nil
}

// Resolve lists the selected namespaces, sorted; a named namespace that does
// not exist is an error.
func (s Selection) Resolve(ctx context.Context, client kubernetes.Interface) ([]string, error) {
	set := map[string]bool{}
	for _, n := range s.Names {
		if _, err := client.CoreV1().Namespaces().Get(ctx, n, metav1.GetOptions{}); err != nil {
			return nil, fmt.Errorf("namespace %s: %s", n, errorText(err))
		}
		set[n] = true
	}
	if s.Selector != "" || s.All {
		opts := metav1.ListOptions{}
		if s.Selector != "" {
			sel, err := ParseSelector(s.Selector)
			if err != nil {
				return nil, err
			}
			opts.LabelSelector = sel.String()
		}
		list, err := client.CoreV1().Namespaces().List(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("listing namespaces: %s", errorText(err))
		}
		for _, n := range list.Items {
			set[n.Name] = true
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}
