package admin

import (
	"encoding/json"
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/protobuf/proto"

	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// Source is what the admin server reports on.
type Source interface {
	Ready() bool
	// Resources returns the live resource set and whether one exists.
	Resources() (xdsconfig.Resources, bool)
}

// ready answers 200 once src is ready, 503 before.
func ready(src Source) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if !src.Ready() {
			http.Error(w, "not ready\n", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	}
}

// HealthHandler serves /ready and nothing else (404 for every other
// path). It is what --health exposes on the pod IP for the kubelet's probe,
// so that config_dump, pprof and metrics stay on the loopback admin port.
func HealthHandler(src Source) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ready", ready(src))
	return mux
}

// Handler returns the admin mux.
func Handler(src Source, reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ready", ready(src))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /config_dump", func(w http.ResponseWriter, _ *http.Request) {
		r, ok := src.Resources()
		if !ok {
			http.Error(w, "no configuration yet\n", http.StatusServiceUnavailable)
			return
		}
		b, err := Dump(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// Dump renders resources as JSON, each resource in protojson form, with
// every private key and other secret replaced by Redacted (see redact.go):
// secrets are dumped like any other resource, minus their key material.
func Dump(r xdsconfig.Resources) ([]byte, error) {
	type dump struct {
		Version   string            `json:"version"`
		Listeners []json.RawMessage `json:"listeners"`
		Routes    []json.RawMessage `json:"routes"`
		Clusters  []json.RawMessage `json:"clusters"`
		Endpoints []json.RawMessage `json:"endpoints"`
		Secrets   []json.RawMessage `json:"secrets"`
	}
	d := dump{Version: r.Version}
	enc := func(dst *[]json.RawMessage, m proto.Message) error {
		b, err := marshalRedacted(m)
		if err != nil {
			return err
		}
		*dst = append(*dst, b)
		return nil
	}
	for _, m := range r.Listeners {
		if err := enc(&d.Listeners, m); err != nil {
			return nil, err
		}
	}
	for _, m := range r.Routes {
		if err := enc(&d.Routes, m); err != nil {
			return nil, err
		}
	}
	for _, m := range r.Clusters {
		if err := enc(&d.Clusters, m); err != nil {
			return nil, err
		}
	}
	for _, m := range r.Endpoints {
		if err := enc(&d.Endpoints, m); err != nil {
			return nil, err
		}
	}
	for _, m := range r.Secrets {
		if err := enc(&d.Secrets, m); err != nil {
			return nil, err
		}
	}
	return json.MarshalIndent(d, "", "  ")
}
