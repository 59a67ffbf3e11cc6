package inventory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilnet "k8s.io/apimachinery/pkg/util/net"

	"github.com/kharden/kharden/pkg/finding"
)

// serviceAccountTokenType is the Secret type the legacy-token rule looks
// for; it is the one Secret field besides metadata the scan reads.
const serviceAccountTokenType = "kubernetes.io/service-account-token"

var secretsResource = schema.GroupResource{Resource: "secrets"}

// load lists one resource, page by page, and turns its items into objects.
func (l *clusterLoader) load(ctx context.Context, r clusterResource) ([]*Object, []Diagnostic) {
	if r.GVR.GroupResource() == secretsResource {
		return l.loadSecretMetadata(ctx, r)
	}
	var objs []*Object
	var diags []Diagnostic
	err := l.eachPage(ctx, func() { objs, diags = nil, nil }, func(ctx context.Context, lo metav1.ListOptions) (string, error) {
		page, err := l.listPage(ctx, r.GVR, lo)
		if err != nil {
			return "", err
		}
		apiVersion := page.apiVersion
		if apiVersion == "" {
			apiVersion = r.GVR.GroupVersion().String()
		}
		for _, content := range page.items {
			// List items lack apiVersion and kind on the wire; the list's
			// are used, and failing those the resource's.
			if s, _ := content["apiVersion"].(string); s == "" {
				content["apiVersion"] = apiVersion
			}
			if s, _ := content["kind"].(string); s == "" {
				content["kind"] = r.Kind
			}
			o, d := clusterObject(r, content)
			if o != nil {
				objs = append(objs, o)
			} else {
				diags = append(diags, d)
			}
		}
		l.countObjects(len(page.items))
		return page.cont, nil
	})
	if err != nil {
		return objs, []Diagnostic{listDiagnostic(r, err)}
	}
	return objs, diags
}

// loadSecretMetadata lists Secrets through the metadata API, so that their
// values never leave the API server. The service-account-token type, which
// metadata does not carry, is learnt from a second list filtered on it.
func (l *clusterLoader) loadSecretMetadata(ctx context.Context, r clusterResource) ([]*Object, []Diagnostic) {
	ri := l.meta.Resource(r.GVR).Namespace(l.opts.Namespace)
	tokens := map[[2]string]bool{}
	err := l.eachPage(ctx, func() { clear(tokens) }, func(ctx context.Context, lo metav1.ListOptions) (string, error) {
		lo.FieldSelector = "type=" + serviceAccountTokenType
		list, err := ri.List(ctx, lo)
		if err != nil {
			return "", err
		}
		for _, it := range list.Items {
			tokens[[2]string{it.Namespace, it.Name}] = true
		}
		return list.Continue, nil
	})
	if err != nil {
		return nil, []Diagnostic{listDiagnostic(r, err)}
	}
	var objs []*Object
	var diags []Diagnostic
	err = l.eachPage(ctx, func() { objs, diags = nil, nil }, func(ctx context.Context, lo metav1.ListOptions) (string, error) {
		list, err := ri.List(ctx, lo)
		if err != nil {
			return "", err
		}
		for i := range list.Items {
			it := &list.Items[i]
			it.ManagedFields = nil
			meta, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&it.ObjectMeta)
			if err != nil {
				diags = append(diags, Diagnostic{Warning: true, Message: fmt.Sprintf("not visible: %s %s/%s: %v", r, it.Namespace, it.Name, err)})
				continue
			}
			content := map[string]any{"apiVersion": "v1", "kind": r.Kind, "metadata": meta}
			if tokens[[2]string{it.Namespace, it.Name}] {
				content["type"] = serviceAccountTokenType
			}
			o, d := clusterObject(r, content)
			if o != nil {
				objs = append(objs, o)
			} else {
				diags = append(diags, d)
			}
		}
		l.countObjects(len(list.Items))
		return list.Continue, nil
	})
	if err != nil {
		return objs, []Diagnostic{listDiagnostic(r, err)}
	}
	return objs, diags
}

// namespaceObject reads the Namespace a namespaced scan is restricted to:
// its labels carry the Pod Security admission levels.
func (l *clusterLoader) namespaceObject(ctx context.Context, name string) (*Object, []Diagnostic) {
	r := clusterResource{GVR: schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, Kind: "Namespace"}
	var content map[string]any
	err := l.retry(ctx, func(ctx context.Context) error {
		u, err := l.dyn.Resource(r.GVR).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			content = u.Object
		}
		return err
	})
	switch {
	case apierrors.IsNotFound(err):
		return nil, []Diagnostic{{Message: fmt.Sprintf("namespace %q does not exist", name)}}
	case err != nil:
		return nil, []Diagnostic{listDiagnostic(clusterResource{GVR: r.GVR.GroupVersion().WithResource("namespaces/" + name)}, err)}
	}
	o, d := clusterObject(r, content)
	if o == nil {
		return nil, []Diagnostic{d}
	}
	return o, nil
}

// clusterObject makes an inventory object of one listed item.
func clusterObject(r clusterResource, content map[string]any) (*Object, Diagnostic) {
	// Server bookkeeping, often most of an object's bytes; no check reads it.
	if m := MapAt(content, "metadata"); m != nil {
		delete(m, "managedFields")
	}
	var elided []string
	if CanonicalGroupKind(schema.GroupKind{Group: r.GVR.Group, Kind: r.Kind}) == KindCustomResourceDefinition {
		if _, ok := content[topLevelSpec]; ok {
			delete(content, topLevelSpec)
			elided = []string{topLevelSpec}
		}
	}
	o, err := NewObject(content, OriginCluster, finding.Source{})
	if err != nil {
		name, _ := StringAt(content, "metadata", "name")
		return nil, Diagnostic{Warning: true, Message: fmt.Sprintf("not visible: %s %q: %v", r, name, err)}
	}
	o.Elided = elided
	return o, Diagnostic{}
}

// eachPage runs list for each page of a resource (Limit/Continue), retrying
// transient failures. When the continue token expires (the server compacted
// the revision the pages were read at) the list starts again from the first
// page after reset.
func (l *clusterLoader) eachPage(ctx context.Context, reset func(), list func(context.Context, metav1.ListOptions) (string, error)) error {
	restarts := 0
	cont := ""
	for {
		lo := metav1.ListOptions{Limit: l.opts.ChunkSize, Continue: cont}
		var next string
		err := l.retry(ctx, func(ctx context.Context) error {
			var err error
			next, err = list(ctx, lo)
			return err
		})
		if err != nil && apierrors.IsResourceExpired(err) && cont != "" && restarts < l.opts.Retries {
			restarts++
			reset()
			cont = ""
			continue
		}
		if err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		cont = next
	}
}

// retry calls fn until it succeeds, fails for good, or has failed
// transiently Retries+1 times; waits double from Backoff, with jitter.
//
// Once one request has used up its retries on a connection that cannot be
// made, the server is taken for gone: later requests are tried once, so that
// a scan of a hundred resources does not wait out a hundred backoffs.
func (l *clusterLoader) retry(ctx context.Context, fn func(context.Context) error) error {
	wait := l.opts.Backoff
	for attempt := 0; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		if !isTransient(err) || ctx.Err() != nil || l.serverGone.Load() {
			return err
		}
		if attempt >= l.opts.Retries {
			if isConnectionError(err) {
				l.serverGone.Store(true)
			}
			return err
		}
		d := wait + time.Duration(rand.Int64N(int64(wait)/5+1))
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return err
		}
		wait *= 2
	}
}

// isTransient tells errors worth retrying: the server restarting or
// overloaded, the connection lost.
func isTransient(err error) bool {
	if isConversionFailure(err) {
		return false
	}
	if apierrors.IsTooManyRequests(err) || apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) ||
		apierrors.IsServiceUnavailable(err) || apierrors.IsInternalError(err) || apierrors.IsUnexpectedServerError(err) {
		return true
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return status.Status().Code >= 500
	}
	return isConnectionError(err)
}

// isConnectionError tells a request that got no answer: refused, reset,
// written to a closed connection, cut short, timed out.
func isConnectionError(err error) bool {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return false
	}
	if utilnet.IsConnectionRefused(err) || utilnet.IsConnectionReset(err) || utilnet.IsProbableEOF(err) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) {
		// EPIPE: the request was written to a connection the server
		// (or a load balancer in front of it) had already closed.
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	// http2 reports a lost connection in words only.
	msg := err.Error()
	return strings.Contains(msg, "http2: client connection lost") || strings.Contains(msg, "GOAWAY") ||
		strings.Contains(msg, "http2: client connection force closed")
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// isConversionFailure recognises a custom resource whose stored objects the
// server cannot convert to the version asked for (a conversion webhook that
// is down or rejects them): the objects cannot be decoded, retrying does not
// help. The server says so only in the message of a 500.
func isConversionFailure(err error) bool {
	var status apierrors.APIStatus
	return errors.As(err, &status) && status.Status().Code == 500 &&
		strings.Contains(status.Status().Message, "conversion webhook")
}

// isDecodeFailure recognises a response the client could not decode into
// objects (a custom resource with malformed stored objects).
func isDecodeFailure(err error) bool {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var dec *decodeError
	return isConversionFailure(err) || errors.As(err, &syntax) || errors.As(err, &typ) || errors.As(err, &dec) ||
		runtime.IsMissingKind(err) || runtime.IsMissingVersion(err) || runtime.IsNotRegisteredError(err)
}

// listDiagnostic classifies the final error of a resource: invisible to
// these credentials or undecodable (a warning), or not listed although it
// should have been (an error: the result is partial).
func listDiagnostic(r clusterResource, err error) Diagnostic {
	switch {
	case apierrors.IsForbidden(err):
		return Diagnostic{Warning: true, Message: fmt.Sprintf("not visible: %s: forbidden", r)}
	case apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err):
		// Removed between discovery and the list (a CRD deleted mid-scan).
		return Diagnostic{Warning: true, Message: fmt.Sprintf("not visible: %s: no longer served", r)}
	case isDecodeFailure(err):
		return Diagnostic{Warning: true, Message: fmt.Sprintf("not visible: %s: objects could not be decoded: %s", r, oneLine(err.Error()))}
	}
	return partialDiagnostic(r, err)
}

func partialDiagnostic(r clusterResource, err error) Diagnostic {
	return Diagnostic{Message: fmt.Sprintf("partial result: %s could not be listed: %s", r, oneLine(rootCause(err).Error()))}
}
