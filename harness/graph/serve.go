package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"

	"github.com/meshbench/meshbench/harness/httpsrv"
)

// Options of one running service: its part of the graph, and where its
// callees are.
type Options struct {
	Name          string  `json:"name"`
	ResponseBytes int     `json:"response_bytes"`
	ErrorRate     float64 `json:"error_rate,omitempty"`
	Script        []Step  `json:"script,omitempty"`
	// Downstreams maps a callee's name to its base URL (http://host:port).
	Downstreams map[string]string `json:"downstreams,omitempty"`
	// Splits maps a callee that is a split to its versions: the service
	// chooses one per call by weight (no mesh to choose for it).
	Splits map[string][]Target `json:"splits,omitempty"`
}

// OptionsOf is the part of g that service s runs; the caller fills in
// Downstreams.
func OptionsOf(s *Service) Options {
	return Options{Name: s.Name, ResponseBytes: s.ResponseBytes, ErrorRate: s.ErrorRate, Script: s.Steps()}
}

// Stats are a service's counters since it started, served at /stats.
type Stats struct {
	Service  string `json:"service"`
	Received int64  `json:"received"`
	// Injected counts the requests failed by the error rate.
	Injected int64 `json:"injected_errors"`
	// Calls counts the calls made to each callee (after the probability
	// draw, whatever their outcome).
	Calls map[string]int64 `json:"calls"`
}

// Serve runs one graph service on ln until ctx is done. Paths /healthz and
// /stats are the harness's; every other path is the service.
func Serve(ctx context.Context, ln net.Listener, o Options) error {
	h, err := newHandler(o)
	if err != nil {
		return err
	}
	defer h.close()
	return httpsrv.Serve(ctx, ln, h)
}

type handler struct {
	o        Options
	body     []byte
	every    uint64
	client   *http.Client
	received atomic.Int64
	injected atomic.Int64
	count    atomic.Uint64               // requests, for the every-N-th error
	calls    map[string]*atomic.Int64    // fixed at start: read without a lock
	reqBody  sync.Map                    // size -> []byte, request bodies shared read-only
	grpc     *grpc.Server                // the service over gRPC (same port, h2c)
	conns    map[string]*grpc.ClientConn // gRPC callees by URL, fixed at start
	splits   map[string]*picker          // split callees, fixed at start
}

func newHandler(o Options) (*handler, error) {
	body := make([]byte, o.ResponseBytes)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	h := &handler{o: o, body: body, every: ErrorEvery(o.ErrorRate), calls: map[string]*atomic.Int64{},
		client: &http.Client{
			Timeout: 10 * time.Second,
			Transport: &http.Transport{
				MaxIdleConnsPerHost: 256,
				IdleConnTimeout:     90 * time.Second,
			},
		}}
	var missing []string
	h.splits = map[string]*picker{}
	for name, ts := range o.Splits {
		var total uint64
		for _, t := range ts {
			total += uint64(t.Weight)
		}
		if total == 0 || total > 1<<31 {
			return nil, fmt.Errorf("service %s: split %s: total weight %d outside 1..2^31", o.Name, name, total)
		}
		h.splits[name] = newPicker(ts)
	}
	eachCall(o.Script, func(c *Call) {
		_, ok := o.Downstreams[c.Service]
		if _, split := o.Splits[c.Service]; !ok && !split {
			missing = append(missing, c.Service)
		}
		h.calls[c.Service] = new(atomic.Int64)
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("service %s: no address for callee(s) %s", o.Name, strings.Join(missing, ", "))
	}
	if err := h.startGRPC(); err != nil {
		h.close()
		return nil, err
	}
	return h, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc"):
		h.grpc.ServeHTTP(w, r)
		return
	case r.URL.Path == "/healthz": // readiness without touching downstreams
		w.WriteHeader(http.StatusOK)
		return
	case r.URL.Path == "/stats":
		h.writeStats(w)
		return
	}
	_, _ = io.Copy(io.Discard, r.Body)
	if err := h.serve(r.Context(), r.Header); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(h.body)))
	w.Header().Set("X-Service", h.o.Name)
	_, _ = w.Write(h.body)
}

// serve is one request to the service, whatever its protocol: count it,
// fail it if it is the N-th, else run the script.
func (h *handler) serve(ctx context.Context, in http.Header) error {
	h.received.Add(1)
	if h.every > 0 && h.count.Add(1)%h.every == 0 {
		h.injected.Add(1)
		return errors.New("simulated failure")
	}
	if err := h.run(ctx, h.o.Script, in); err != nil {
		return fmt.Errorf("%s: %w", h.o.Name, err)
	}
	return nil
}

func (h *handler) writeStats(w http.ResponseWriter) {
	st := Stats{Service: h.o.Name, Received: h.received.Load(), Injected: h.injected.Load(), Calls: map[string]int64{}}
	for name, n := range h.calls {
		st.Calls[name] = n.Load()
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(st)
}

// run executes steps in order; the first failed call fails the request.
func (h *handler) run(ctx context.Context, steps []Step, in http.Header) error {
	for _, st := range steps {
		var err error
		switch {
		case st.Sleep > 0:
			err = sleep(ctx, st.Sleep)
		case st.Burn > 0:
			spin(st.Burn)
		case st.Call != nil:
			err = h.call(ctx, st.Call, in)
		case st.Concurrent != nil:
			err = h.concurrent(ctx, st.Concurrent, in)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (h *handler) concurrent(ctx context.Context, steps []Step, in http.Header) error {
	errs := make([]error, len(steps))
	var wg sync.WaitGroup
	for i := range steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = h.run(ctx, steps[i:i+1], in)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (h *handler) call(ctx context.Context, c *Call, in http.Header) error {
	if c.Probability != 0 && rand.IntN(100) >= c.Probability {
		return nil
	}
	h.calls[c.Service].Add(1)
	base := h.o.Downstreams[c.Service]
	if p := h.splits[c.Service]; p != nil {
		base = p.pick()
	}
	if conn := h.conns[base]; conn != nil {
		return h.callGRPC(ctx, conn, c, in)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/", bytes.NewReader(h.requestBody(c.RequestBytes)))
	if err != nil {
		return err
	}
	for _, k := range forwarded {
		if v := in.Values(k); len(v) > 0 {
			req.Header[k] = v
		}
	}
	for k, v := range c.Headers {
		req.Header.Add(k, v)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("call %s: %w", c.Service, err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return fmt.Errorf("call %s: %w", c.Service, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("call %s: answered %s", c.Service, resp.Status)
	}
	return nil
}

// forwarded are the headers (trace context) a call carries on from the
// request that made it, as isotope forwards them.
var forwarded = []string{"Traceparent", "Tracestate", "X-Request-Id", "X-B3-Traceid", "X-B3-Spanid", "X-B3-Sampled"}

func (h *handler) requestBody(n int) []byte {
	if n == 0 {
		return nil
	}
	if b, ok := h.reqBody.Load(n); ok {
		return b.([]byte)
	}
	b := bytes.Repeat([]byte{'r'}, n)
	h.reqBody.Store(n, b)
	return b
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
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
