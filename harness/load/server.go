package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"

	"github.com/meshbench/meshbench/harness/httpsrv"
)

// Server is the load client's control API: the harness POSTs Options to
// /run and receives the Report once the phase ends. One phase runs at a
// time; a second concurrent request gets 409.
type Server struct {
	log  *slog.Logger
	mu   sync.Mutex
	busy bool
}

// NewServer returns a load-client API server.
func NewServer(log *slog.Logger) *Server { return &Server{log: log} }

// Handler returns the HTTP handler of the API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("POST /run", s.run)
	return mux
}

func (s *Server) run(w http.ResponseWriter, r *http.Request) {
	var o Options
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		http.Error(w, "bad options: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	if s.busy {
		s.mu.Unlock()
		http.Error(w, "a load phase is already running", http.StatusConflict)
		return
	}
	s.busy = true
	s.mu.Unlock()
	defer func() { s.mu.Lock(); s.busy = false; s.mu.Unlock() }()

	s.log.Info("load phase", "url", o.URL, "qps", o.QPS, "connections", o.Connections, "duration", o.Duration)
	rep, err := Run(r.Context(), o)
	if err != nil && rep == nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(rep)
}

// Serve runs the API on ln until ctx is done.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return httpsrv.Serve(ctx, ln, s.Handler())
}

// Client calls a load client's API.
type Client struct {
	// Base is the API's base URL, e.g. http://127.0.0.1:9000.
	Base string
	HTTP *http.Client
}

// Run asks the load client to run one phase and waits for its report.
func (c *Client) Run(ctx context.Context, o Options) (*Report, error) {
	body, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Base+"/run", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("load client %s: %w", c.Base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg := make([]byte, 512)
		n, _ := resp.Body.Read(msg)
		return nil, fmt.Errorf("load client %s: %s: %s", c.Base, resp.Status, msg[:n])
	}
	var rep Report
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		return nil, fmt.Errorf("load client %s: decode report: %w", c.Base, err)
	}
	return &rep, nil
}
