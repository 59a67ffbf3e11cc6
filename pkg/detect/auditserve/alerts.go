package auditserve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/kharden/kharden/pkg/finding"
)

// Alert webhook delivery: bounded in time, attempts and queue, so that a
// slow or dead receiver never holds up ingestion.
const (
	alertQueue    = 1024
	alertAttempts = 3
	alertTimeout  = 5 * time.Second
	alertBackoff  = 500 * time.Millisecond
)

// alerter posts alerts to a webhook URL from a goroutine of its own.
type alerter struct {
	url    string
	client *http.Client
	queue  chan []byte
	failed func(reason string)
	done   chan struct{}
}

func newAlerter(rawURL string, client *http.Client, failed func(reason string)) (*alerter, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("alert webhook: want an http or https URL")
	}
	if client == nil {
		client = &http.Client{Timeout: alertTimeout}
	}
	return &alerter{url: rawURL, client: client, queue: make(chan []byte, alertQueue), failed: failed, done: make(chan struct{})}, nil
}

// redactedURL names the receiver in logs without its path or query,
// which may hold a token.
func redactedURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(alert webhook)"
	}
	return u.Scheme + "://" + u.Host
}

// send queues an alert; a full queue drops it (counted).
func (a *alerter) send(f finding.Finding) {
	body, err := json.Marshal(f)
	if err != nil {
		a.failed("encoding an alert: " + err.Error())
		return
	}
	select {
	case a.queue <- body:
	default:
		a.failed("queue full, alert dropped")
	}
}

// run delivers queued alerts until the queue is closed and empty.
func (a *alerter) run() {
	defer close(a.done)
	for body := range a.queue {
		var last error
		for i := range alertAttempts {
			if i > 0 {
				time.Sleep(alertBackoff << (i - 1))
			}
			if last = a.post(body); last == nil {
				break
			}
		}
		if last != nil {
			a.failed(last.Error())
		}
	}
}

// close stops accepting alerts and waits (at most wait) for the queue to
// drain.
func (a *alerter) close(wait time.Duration) {
	close(a.queue)
	select {
	case <-a.done:
	case <-time.After(wait):
	}
}

func (a *alerter) post(body []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), alertTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %s", redactedURL(a.url), "bad request")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		// url.Error repeats the whole URL: name the host only.
		var reason string
		if ue, ok := err.(*url.Error); ok {
			reason = ue.Err.Error()
		} else {
			reason = err.Error()
		}
		return fmt.Errorf("%s: %s", redactedURL(a.url), reason)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: answered %s", redactedURL(a.url), resp.Status)
	}
	return nil
}
