package reencrypt

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
)

// runner holds one run's state.
type runner struct {
	o      Options
	client dynamic.Interface
	state  *resumeState
	res    *Result
	since  int // objects since the last checkpoint
}

// resource rewrites every object of t, page by page, skipping keys at or
// before the resume point. Lists come back ordered by etcd key, and the key
// of an object is the resource prefix plus "namespace/name" (or "name"), so
// comparing those strings orders objects as etcd does.
func (r *runner) resource(ctx context.Context, t target) error {
	entry := r.state.entry(t.gvr.String())
	r.res.PerResource = append(r.res.PerResource, ResourceCounts{Resource: t.name, GVR: t.gvr})
	counts := &r.res.PerResource[len(r.res.PerResource)-1].Counts
	if entry.Complete {
		return nil
	}
	var ri dynamic.ResourceInterface = r.client.Resource(t.gvr)
	if t.namespaced && r.o.Namespace != "" {
		ri = r.client.Resource(t.gvr).Namespace(r.o.Namespace)
	}
	cont := ""
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		list, err := ri.List(ctx, metav1.ListOptions{Limit: r.o.ChunkSize, Continue: cont})
		if apierrors.IsResourceExpired(err) && cont != "" {
			// The continue token outlived etcd's compaction: list again
			// from the start; what is done is skipped by key.
			cont = ""
			continue
		}
		if err != nil {
			return fmt.Errorf("listing %s: %w", t.name, err)
		}
		for i := range list.Items {
			obj := &list.Items[i]
			key := objectKey(obj)
			if entry.Last != "" && key <= entry.Last {
				counts.Skipped++
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := r.object(ctx, t, obj, key, counts); err != nil {
				return err
			}
			entry.Last = key
			if r.o.Progress != nil {
				r.o.Progress(Progress{Resource: t.name, Key: key, Counts: *counts})
			}
			if r.since++; r.since >= r.o.CheckpointEvery {
				if err := r.checkpoint(); err != nil {
					return err
				}
			}
		}
		cont = list.GetContinue()
		if cont == "" {
			entry.Complete = true
			return nil
		}
	}
}

// object rewrites one object, re-reading it after a conflict. It returns an
// error only when ctx ends: the object is then not done.
func (r *runner) object(ctx context.Context, t target, obj *unstructured.Unstructured, key string, counts *Counts) error {
	ri := r.client.Resource(t.gvr).Namespace(obj.GetNamespace())
	opts := metav1.UpdateOptions{FieldManager: "kharden-reencrypt"}
	if !r.o.Apply {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	for attempt := 0; ; attempt++ {
		before := obj.GetResourceVersion()
		out, err := ri.Update(ctx, obj, opts)
		if err != nil && ctx.Err() != nil {
			return ctx.Err()
		}
		switch {
		case err == nil:
			if r.o.Apply && out.GetResourceVersion() == before {
				counts.Unchanged++
			} else {
				counts.Rewritten++
			}
			return nil
		case apierrors.IsNotFound(err):
			counts.Skipped++
			return nil
		case apierrors.IsConflict(err) && attempt < maxConflictRetries:
			counts.Conflicts++
			fresh, gerr := ri.Get(ctx, obj.GetName(), metav1.GetOptions{})
			switch {
			case gerr != nil && ctx.Err() != nil:
				return ctx.Err()
			case apierrors.IsNotFound(gerr):
				counts.Skipped++
				return nil
			case gerr != nil:
				r.fail(t, key, gerr, counts)
				return nil
			}
			obj = fresh
		default:
			r.fail(t, key, err, counts)
			return nil
		}
	}
}

// fail records a failed object by the API status reason and code only: a
// status message may quote the object's fields, which for a Secret are
// secret values.
func (r *runner) fail(t target, key string, err error, counts *Counts) {
	counts.Failed++
	reason := "request failed"
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		s := status.Status()
		reason = fmt.Sprintf("%s (HTTP %d)", s.Reason, s.Code)
		if s.Reason == "" {
			reason = fmt.Sprintf("%s (HTTP %d)", http.StatusText(int(s.Code)), s.Code)
		}
	} else {
		// Transport errors name the URL (namespace and name), not content.
		reason = err.Error()
	}
	r.res.Failures = append(r.res.Failures, Failure{Resource: t.name, Key: key, Reason: reason})
}

// checkpoint writes the resume file of an applying run.
func (r *runner) checkpoint() error {
	r.since = 0
	if !r.o.Apply || r.o.ResumeFile == "" {
		return nil
	}
	return r.state.save(r.o.ResumeFile)
}

// objectKey is "namespace/name", or "name" for a cluster-scoped object.
func objectKey(obj *unstructured.Unstructured) string {
	if ns := obj.GetNamespace(); ns != "" {
		return ns + "/" + obj.GetName()
	}
	return obj.GetName()
}
