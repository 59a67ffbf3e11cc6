package lab

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// Pod addresses the CoreDNS log shows; the scenario writes them into the
// Pods' status so a detector can map a query source to a pod.
const (
	minerPod    = "image-cache-6f9c7d5b8-x2kqp"
	minerPodIP  = "10.244.3.17"
	webPod      = "web-frontend-5d8b9c7f6-abcde"
	webPodIP    = "10.244.3.21"
	minerDomain = "t.pool-sync.example.net."
)

// logEpoch anchors the generated logs: fixed, so the files are the same on
// every run and detectors' tests can name times.
var logEpoch = time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)

func dnsMinerAfter(ctx context.Context, r *scenarioRun) error {
	for pod, ip := range map[string]string{minerPod: minerPodIP, webPod: webPodIP} {
		if err := r.setPodIP(ctx, "dev", pod, ip); err != nil {
			// Not fatal: the log still tells the story; say why.
			r.result.Notes = append(r.result.Notes, fmt.Sprintf("pod dev/%s: status.podIP not set: %v", pod, err))
		}
	}
	return r.writeFile("coredns.log", func(w io.Writer) error { return writeCoreDNSLog(w, logEpoch) })
}

// setPodIP records a pod as running at ip (there is no kubelet in the lab).
func (r *scenarioRun) setPodIP(ctx context.Context, ns, name, ip string) error {
	patch, err := json.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"status": map[string]any{
			"phase": "Running", "podIP": ip, "podIPs": []any{map[string]any{"ip": ip}},
			"hostIP": "192.168.56.11", "hostIPs": []any{map[string]any{"ip": "192.168.56.11"}},
		},
	})
	if err != nil {
		return err
	}
	_, err = r.applier.dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "pods"}).Namespace(ns).
		Patch(ctx, name, types.ApplyPatchType, patch, metav1.PatchOptions{FieldManager: fieldManager, Force: ptrTrue()}, "status")
	return err
}

// writeCoreDNSLog writes 30 minutes of CoreDNS `log` plugin lines: pods of
// dev and shop resolving services and a few public APIs, and from minute 10
// the miner's pod asking five times a second for TXT records of
// random-looking names under one domain (commands come back in the answers).
func writeCoreDNSLog(w io.Writer, start time.Time) error {
	r := rand.New(rand.NewPCG(6, 6))
	type client struct{ ip, ns string }
	clients := []client{{webPodIP, "dev"}, {"10.244.1.5", "shop"}, {"10.244.1.9", "shop"}, {"10.244.2.4", "payments"},
		{"10.244.2.8", "kube-system"}, {"10.244.1.12", "shop"}}
	names := []string{"postgres.payments.svc.cluster.local.", "checkout.shop.svc.cluster.local.", "pricing.shop.svc.cluster.local.",
		"kubernetes.default.svc.cluster.local.", "api.stripe.com.", "registry.example.com.", "redis.shop.svc.cluster.local."}
	const span = 30 * time.Minute
	type line struct {
		t    time.Time
		text string
	}
	var lines []line
	add := func(t time.Time, ip, qtype, name, rcode string) {
		id := r.IntN(65536)
		port := 32768 + r.IntN(28000)
		size := 40 + len(name)
		flags := "qr,aa,rd"
		if !strings.HasSuffix(name, "cluster.local.") {
			flags = "qr,rd,ra"
		}
		lines = append(lines, line{t, fmt.Sprintf("[INFO] %s:%d - %d \"%s IN %s udp %d false 512\" %s %s %d %.6fs",
			ip, port, id, qtype, name, size, rcode, flags, size+60+r.IntN(80), 0.0001+r.Float64()*0.004)})
	}
	// Ordinary traffic: about two queries a second in total.
	for t := start; t.Before(start.Add(span)); t = t.Add(time.Duration(200+r.IntN(600)) * time.Millisecond) {
		c := clients[r.IntN(len(clients))]
		add(t, c.ip, []string{"A", "AAAA"}[r.IntN(2)], names[r.IntN(len(names))], "NOERROR")
	}
	// The miner: from minute 10, five TXT queries a second for
	// random-looking labels.
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	for t := start.Add(10 * time.Minute); t.Before(start.Add(span)); t = t.Add(time.Duration(150+r.IntN(100)) * time.Millisecond) {
		label := make([]byte, 24+r.IntN(24))
		for i := range label {
			label[i] = alphabet[r.IntN(len(alphabet))]
		}
		rcode := "NOERROR"
		if r.IntN(5) == 0 {
			rcode = "NXDOMAIN"
		}
		add(t, minerPodIP, "TXT", string(label)+"."+minerDomain, rcode)
	}
	slices.SortStableFunc(lines, func(a, b line) int { return a.t.Compare(b.t) })
	bw := bufio.NewWriterSize(w, 64<<10)
	for _, l := range lines {
		// CoreDNS itself prints no time; the container runtime's log prefix does.
		fmt.Fprintf(bw, "%s %s\n", l.t.Format(time.RFC3339Nano), l.text)
	}
	return bw.Flush()
}
