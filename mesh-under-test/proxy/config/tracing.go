package config

import (
	"fmt"

	tracev3 "github.com/envoyproxy/go-control-plane/envoy/config/trace/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/filter"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/upstream"
)

// TracerOpenTelemetry is the one tracing provider the proxy speaks.
const TracerOpenTelemetry = "envoy.tracers.opentelemetry"

// Tracing is a compiled HCM tracing section.
type Tracing struct {
	// Sampling is the fraction of new traces (requests without context)
	// sampled: random_sampling, Envoy's 100% when unset. A request's own
	// sampled flag always wins.
	Sampling float64
	// Collector is the OTLP/gRPC cluster spans go to (nil: propagate
	// context only, export nothing).
	Collector *upstream.Cluster
	// ServiceName is the resource's service.name ("" : the proxy's id).
	ServiceName string
}

// CollectorAddr is the address spans are sent to: the collector cluster's
// first endpoint ("" when there is no collector).
func (t *Tracing) CollectorAddr() string {
	if t == nil || t.Collector == nil || len(t.Collector.Endpoints) == 0 {
		return ""
	}
	return t.Collector.Endpoints[0].Host.Addr
}

func (cc *compileCtx) compileTracing(h *hcmv3.HttpConnectionManager_Tracing) (*Tracing, error) {
	if h == nil {
		return nil, nil
	}
	t := &Tracing{Sampling: 1}
	if p := h.GetRandomSampling(); p != nil {
		v := p.GetValue()
		if v < 0 || v > 100 {
			return nil, fmt.Errorf("tracing.random_sampling: %v is outside 0..100", v)
		}
		t.Sampling = v / 100
	}
	prov := h.GetProvider()
	if prov == nil {
		return t, nil
	}
	if prov.GetName() != TracerOpenTelemetry && prov.GetTypedConfig().GetTypeUrl() != "type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig" {
		return nil, fmt.Errorf("tracing.provider %q: %w (only %s)", prov.GetName(), match.ErrUnsupported, TracerOpenTelemetry)
	}
	oc, err := filter.Unpack[tracev3.OpenTelemetryConfig](prov.GetTypedConfig())
	if err != nil {
		return nil, fmt.Errorf("tracing.provider: %w", err)
	}
	if oc.GetHttpService() != nil {
		return nil, fmt.Errorf("tracing.provider: http_service: %w (OTLP over gRPC only)", match.ErrUnsupported)
	}
	name := oc.GetGrpcService().GetEnvoyGrpc().GetClusterName()
	if name == "" {
		return nil, fmt.Errorf("tracing.provider: grpc_service.envoy_grpc.cluster_name is required")
	}
	t.Collector = cc.snap.Clusters[name]
	if t.Collector == nil {
		return nil, fmt.Errorf("tracing.provider: unknown cluster %q", name)
	}
	if len(t.Collector.Endpoints) == 0 {
		return nil, fmt.Errorf("tracing.provider: cluster %q has no endpoints", name)
	}
	t.ServiceName = oc.GetServiceName()
	return t, nil
}
