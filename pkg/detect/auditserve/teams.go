package auditserve

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/kharden/kharden/pkg/config"
)

// teamsResync re-reads every Namespace this often besides the watch.
const teamsResync = 30 * time.Minute

// WatchTeams keeps the owning team of every namespace of a live cluster up
// to date, for the team label of the findings metric: a metadata-only
// informer on Namespaces (labels and annotations are all it needs), so a
// namespace created or relabelled while the server runs is counted under
// its team. The team is the value of the first owner key set as a label,
// else as an annotation. It returns once the first list is in; the watch
// stops with ctx.
func WatchTeams(ctx context.Context, cfg *rest.Config, ownerKeys []string, timeout time.Duration) (func(namespace string) string, error) {
	client, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	gvr := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	// One small list first: a refusal (no list permission, no such
	// server) is an error now rather than a watch retrying until timeout.
	first, cancel := context.WithTimeout(ctx, timeout)
	_, err = client.Resource(gvr).List(first, metav1.ListOptions{Limit: 1})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("listing namespaces: %w", err)
	}
	factory := metadatainformer.NewSharedInformerFactory(client, teamsResync)
	informer := factory.ForResource(gvr)
	lister := informer.Lister()
	inf := informer.Informer()
	factory.Start(ctx.Done())
	syncCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if !cache.WaitForCacheSync(syncCtx.Done(), inf.HasSynced) {
		return nil, fmt.Errorf("namespaces not listed within %s", timeout)
	}
	return func(namespace string) string {
		if namespace == "" {
			return ""
		}
		obj, err := lister.Get(namespace)
		if err != nil {
			return ""
		}
		m, ok := obj.(*metav1.PartialObjectMetadata)
		if !ok {
			return ""
		}
		return config.Owner(m.Labels, m.Annotations, ownerKeys)
	}, nil
}
