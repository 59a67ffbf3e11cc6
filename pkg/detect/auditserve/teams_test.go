package auditserve

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/kharden/kharden/internal/testcluster"
)

// TestWatchTeamsLive: against a real API server, the team of a namespace
// that exists at start, of one created later, and of one relabelled later.
func TestWatchTeamsLive(t *testing.T) {
	c := testcluster.Start(t, testcluster.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	create := func(name string, labels, annotations map[string]string) {
		t.Helper()
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, Annotations: annotations}}
		if _, err := c.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	create("shop", map[string]string{"team": "payments"}, nil)
	team, err := WatchTeams(ctx, c.Config, []string{"team"}, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := team("shop"); got != "payments" {
		t.Fatalf("team(shop) = %q, want payments", got)
	}
	if got := team("nowhere"); got != "" {
		t.Errorf("team(nowhere) = %q", got)
	}
	create("later", nil, map[string]string{"team": "search"})
	ns, err := c.Client.CoreV1().Namespaces().Get(ctx, "shop", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ns.Labels["team"] = "checkout"
	if _, err := c.Client.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	// An identity that may not list namespaces is refused at once, in
	// the API server's words.
	start := time.Now()
	if _, err := WatchTeams(ctx, c.ConfigFor(t, "nobody"), []string{"team"}, 30*time.Second); err == nil ||
		!strings.Contains(err.Error(), "forbidden") || time.Since(start) > 10*time.Second {
		t.Errorf("no list permission: %v after %v", err, time.Since(start))
	}
	deadline := time.Now().Add(30 * time.Second)
	for team("later") != "search" || team("shop") != "checkout" {
		if time.Now().After(deadline) {
			t.Fatalf("after 30s: team(later) = %q, team(shop) = %q", team("later"), team("shop"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestWatchTeamsUnreachable(t *testing.T) {
	cfg := &rest.Config{Host: "https://127.0.0.1:1"} // nothing listens on port 1
	if _, err := WatchTeams(context.Background(), cfg, []string{"team"}, 2*time.Second); err == nil {
		t.Fatal("no error from an API server that is not there")
	}
}
