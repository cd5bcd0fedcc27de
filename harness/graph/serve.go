package graph

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/meshbench/meshbench/harness/httpsrv"
)

// Options of one running service.
type Options struct {
	Name          string
	Work          time.Duration
	ResponseBytes int
	// Downstreams are the base URLs called in order per request.
	Downstreams []string
}

// Serve runs one graph service on ln until ctx is done.
func Serve(ctx context.Context, ln net.Listener, o Options) error {
	return httpsrv.Serve(ctx, ln, newHandler(o))
}

type handler struct {
	o      Options
	body   []byte
	client *http.Client
}

func newHandler(o Options) *handler {
	body := make([]byte, o.ResponseBytes)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	return &handler{o: o, body: body, client: &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     90 * time.Second,
		},
	}}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" { // readiness without touching downstreams
		w.WriteHeader(http.StatusOK)
		return
	}
	_, _ = io.Copy(io.Discard, r.Body)
	spin(h.o.Work)
	for _, d := range h.o.Downstreams {
		if err := h.call(r.Context(), d); err != nil {
			http.Error(w, fmt.Sprintf("%s: %v", h.o.Name, err), http.StatusBadGateway)
			return
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(h.body)))
	w.Header().Set("X-Service", h.o.Name)
	_, _ = w.Write(h.body)
}

func (h *handler) call(ctx context.Context, base string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/", nil)
	if err != nil {
		return err
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", base, resp.Status)
	}
	return nil
}

// spin burns CPU for d (not sleep: the point is to cost CPU like real work).
func spin(d time.Duration) {
	if d <= 0 {
		return
	}
	end := time.Now().Add(d)
	for time.Now().Before(end) {
	}
}
