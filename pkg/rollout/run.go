package rollout

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kharden/kharden/pkg/config"
	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
	"github.com/kharden/kharden/pkg/psa"
)

// Namespaces lists the cluster's namespaces with their labels, and
// kharden's own namespace even before the first apply creates it, so that
// the first apply treats it as every later one does.
func (c *Client) Namespaces(ctx context.Context) ([]Namespace, error) {
	list, err := c.cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing namespaces: %w", err)
	}
	out := make([]Namespace, 0, len(list.Items)+1)
	own := false
	for _, ns := range list.Items {
		out = append(out, Namespace{Name: ns.Name, Labels: ns.Labels})
		own = own || ns.Name == SystemNamespace
	}
	if !own {
		out = append(out, Namespace{Name: SystemNamespace, Labels: SystemNamespaceObject().Labels})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Change is a stage change of an apply or rollback.
type Change struct {
	Before, After *State
	Objects       *Objects
	Result        *Result
}

// Promote moves rules to stage (no rule may skip a stage) and writes the
// stage's objects, all or nothing. inv is the cluster's objects (for
// exceptions that hold namespaces at warn); nil reads none.
func (c *Client) Promote(ctx context.Context, cfg *config.Config, inv *inventory.Inventory, rules []finding.RuleID, stage Stage, dryRun bool, now time.Time) (*Change, error) {
	targets := map[finding.RuleID]Stage{}
	for _, r := range rules {
		targets[r] = stage
	}
	return c.change(ctx, cfg, inv, dryRun, now, func(st *State) (*State, error) { return st.Move(targets, now) })
}

// Rollback returns rules to the stage before their last change.
func (c *Client) Rollback(ctx context.Context, cfg *config.Config, inv *inventory.Inventory, rules []finding.RuleID, dryRun bool, now time.Time) (*Change, error) {
	return c.change(ctx, cfg, inv, dryRun, now, func(st *State) (*State, error) { return st.Rollback(rules, now) })
}

// Refresh rewrites the current stage's objects: exceptions that expired
// since the last apply stop applying, new namespaces get their labels and
// bindings.
func (c *Client) Refresh(ctx context.Context, cfg *config.Config, inv *inventory.Inventory, dryRun bool, now time.Time) (*Change, error) {
	return c.change(ctx, cfg, inv, dryRun, now, func(st *State) (*State, error) { return st.Move(nil, now) })
}

// ForServer returns cfg with its pssVersion resolved for this cluster
// (psa.ForServer: "latest" is the cluster's own version when it is older
// than kharden's), and a note when the cluster and the request differ.
func (c *Client) ForServer(ctx context.Context, cfg *config.Config) (*config.Config, string, error) {
	server, err := psa.ServerVersionOf(ctx, c.cs)
	if err != nil {
		return nil, "", err
	}
	v, note, err := psa.ForServer(cfg.PSSVersion, server)
	if err != nil {
		return nil, "", fmt.Errorf("pssVersion %q: %w", cfg.PSSVersion, err)
	}
	resolved := *cfg
	resolved.PSSVersion = v
	return &resolved, note, nil
}

func (c *Client) change(ctx context.Context, cfg *config.Config, inv *inventory.Inventory, dryRun bool, now time.Time, next func(*State) (*State, error)) (*Change, error) {
	if err := c.CheckServer(); err != nil {
		return nil, err
	}
	before, err := ReadState(ctx, c.cs)
	if err != nil {
		return nil, err
	}
	after, err := next(before)
	if err != nil {
		return nil, err
	}
	nss, err := c.Namespaces(ctx)
	if err != nil {
		return nil, err
	}
	if inv == nil {
		inv = &inventory.Inventory{}
	}
	cfg, note, err := c.ForServer(ctx, cfg)
	if err != nil {
		return nil, err
	}
	objs, err := Desired(after, cfg, nss, inv, now)
	if err != nil {
		return nil, err
	}
	if note != "" {
		objs.Notes = append(objs.Notes, note)
	}
	res, err := c.Apply(ctx, objs, dryRun)
	var we *WriteError
	if errors.As(err, &we) && we.Done > 0 {
		err = c.revert(ctx, we, before, cfg, nss, inv, now)
	}
	return &Change{Before: before, After: after, Objects: objs, Result: res}, err
}

// revert puts the previous stage's objects back after a write failed
// midway (the state, written last, still records the previous stage):
// server-side apply of what that stage wants restores what this apply
// changed, recreates what it deleted and drops what it added.
func (c *Client) revert(ctx context.Context, failed *WriteError, before *State, cfg *config.Config, nss []Namespace, inv *inventory.Inventory, now time.Time) error {
	prev, err := Desired(before, cfg, nss, inv, now)
	if err == nil {
		_, err = c.Apply(ctx, prev, false)
	}
	if err != nil {
		return fmt.Errorf("%w; putting the previous stage back failed too: %v — run kharden rollout apply (without --stage) once the API server answers", failed, err)
	}
	return fmt.Errorf("%w; the %d writes made were undone: the previous stage is in place", failed, failed.Done)
}
