package translate

import (
	"math"

	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	tracev3 "github.com/envoyproxy/go-control-plane/envoy/config/trace/v3"
	streamv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/stream/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// CollectorCluster is the static cluster of the OTLP collector that every
// proxy's HCM tracing provider points at (Envoy's way: the tracer is a gRPC
// service on a cluster).
const CollectorCluster = "otel-collector"

// tracing is the HCM tracing section the mesh asks for, or nil. Every
// listener of every proxy gets the same value; service_name is left empty
// so each proxy names its spans after its own node id.
func tracing(ix *index) *hcmv3.HttpConnectionManager_Tracing {
	t := ix.mesh.Telemetry
	if t == nil || t.Tracing == nil {
		return nil
	}
	oc := &tracev3.OpenTelemetryConfig{GrpcService: &corev3.GrpcService{TargetSpecifier: &corev3.GrpcService_EnvoyGrpc_{
		EnvoyGrpc: &corev3.GrpcService_EnvoyGrpc{ClusterName: CollectorCluster}}}}
	return &hcmv3.HttpConnectionManager_Tracing{
		RandomSampling: &typev3.Percent{Value: t.Tracing.Sampling()},
		Provider:       &tracev3.Tracing_Http{Name: "envoy.tracers.opentelemetry", ConfigType: &tracev3.Tracing_Http_TypedConfig{TypedConfig: mustAny(oc)}},
	}
}

// collectorCluster is the collector's static cluster (HTTP/2: OTLP/gRPC),
// or nil when the mesh exports no spans.
func collectorCluster(ix *index) (*clusterv3.Cluster, error) {
	t := ix.mesh.Telemetry
	if t == nil || t.Tracing == nil {
		return nil, nil
	}
	host, port, err := splitAddr(t.Tracing.Collector)
	if err != nil {
		return nil, err
	}
	c := &clusterv3.Cluster{
		Name:                 CollectorCluster,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
		ConnectTimeout:       durationpb.New(defaultConnectTimout),
		LoadAssignment: &endpointv3.ClusterLoadAssignment{ClusterName: CollectorCluster, Endpoints: []*endpointv3.LocalityLbEndpoints{{
			LbEndpoints: []*endpointv3.LbEndpoint{{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: socketAddr(host, port)}}}},
		}}},
	}
	c.TypedExtensionProtocolOptions = cluster(&meshconfig.Service{Protocol: meshconfig.ProtocolGRPC}, nil, CollectorCluster, false, nil).TypedExtensionProtocolOptions
	return c, nil
}

// accessLog is the HCM access log the mesh asks for, or nil: Envoy's
// stdout logger behind a runtime_filter sampling the configured share of
// requests (in parts per million, so 1% is exact).
func accessLog(ix *index) []*accesslogv3.AccessLog {
	t := ix.mesh.Telemetry
	if t == nil || t.AccessLogging == nil {
		return nil
	}
	al := &accesslogv3.AccessLog{Name: "envoy.access_loggers.stdout",
		ConfigType: &accesslogv3.AccessLog_TypedConfig{TypedConfig: mustAny(&streamv3.StdoutAccessLog{})}}
	if p := t.AccessLogging.Sampling(); p < 100 {
		al.Filter = &accesslogv3.AccessLogFilter{FilterSpecifier: &accesslogv3.AccessLogFilter_RuntimeFilter{RuntimeFilter: &accesslogv3.RuntimeFilter{
			RuntimeKey:     "access_log_sampling",
			PercentSampled: &typev3.FractionalPercent{Numerator: uint32(math.Round(p * 1e4)), Denominator: typev3.FractionalPercent_MILLION},
		}}}
	}
	return []*accesslogv3.AccessLog{al}
}
