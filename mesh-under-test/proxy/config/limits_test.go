package config

import (
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/http1"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

func TestCompileLimits(t *testing.T) {
	tests := []struct {
		name    string
		hcm     *hcmv3.HttpConnectionManager
		want    Limits
		wantErr string
	}{
		{name: "Envoy's defaults", hcm: &hcmv3.HttpConnectionManager{},
			want: Limits{HeadersTimeout: 5 * time.Minute, IdleTimeout: time.Hour}},
		{name: "every field", hcm: &hcmv3.HttpConnectionManager{
			RequestHeadersTimeout: durationpb.New(3 * time.Second), StreamIdleTimeout: durationpb.New(time.Minute),
			MaxRequestHeadersKb: wrapperspb.UInt32(8),
			CommonHttpProtocolOptions: &corev3.HttpProtocolOptions{IdleTimeout: durationpb.New(10 * time.Second),
				MaxHeadersCount: wrapperspb.UInt32(20), HeadersWithUnderscoresAction: corev3.HttpProtocolOptions_DROP_HEADER}},
			want: Limits{HeadersTimeout: 3 * time.Second, IdleTimeout: 10 * time.Second,
				Head: http1.Limits{MaxHeadBytes: 8 << 10, MaxFields: 20, Underscores: http1.UnderscoresDrop}}},
		{name: "stream_idle_timeout bounds the head when request_headers_timeout is unset",
			hcm:  &hcmv3.HttpConnectionManager{StreamIdleTimeout: durationpb.New(time.Minute)},
			want: Limits{HeadersTimeout: time.Minute, IdleTimeout: time.Hour}},
		{name: "zero disables", hcm: &hcmv3.HttpConnectionManager{StreamIdleTimeout: durationpb.New(0),
			CommonHttpProtocolOptions: &corev3.HttpProtocolOptions{IdleTimeout: durationpb.New(0)}},
			want: Limits{}},
		{name: "reject underscores", hcm: &hcmv3.HttpConnectionManager{CommonHttpProtocolOptions: &corev3.HttpProtocolOptions{
			HeadersWithUnderscoresAction: corev3.HttpProtocolOptions_REJECT_REQUEST}},
			want: Limits{HeadersTimeout: 5 * time.Minute, IdleTimeout: time.Hour, Head: http1.Limits{Underscores: http1.UnderscoresReject}}},
		{name: "max_requests_per_connection unsupported", hcm: &hcmv3.HttpConnectionManager{CommonHttpProtocolOptions: &corev3.HttpProtocolOptions{
			MaxRequestsPerConnection: wrapperspb.UInt32(5)}}, wantErr: "max_requests_per_connection"},
		{name: "max_connection_duration unsupported", hcm: &hcmv3.HttpConnectionManager{CommonHttpProtocolOptions: &corev3.HttpProtocolOptions{
			MaxConnectionDuration: durationpb.New(time.Second)}}, wantErr: "max_connection_duration"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := compileLimits(tc.hcm)
			if tc.wantErr != "" {
				require.ErrorIs(t, err, match.ErrUnsupported)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestCompileTCPIdleTimeout: tcp_proxy idle_timeout, Envoy's 1h when
// unset, 0 disabling it.
func TestCompileTCPIdleTimeout(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  *durationpb.Duration
		want time.Duration
	}{
		{"unset: Envoy's default", nil, time.Hour},
		{"set", durationpb.New(3 * time.Second), 3 * time.Second},
		{"zero disables", durationpb.New(0), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tp := &tcpv3.TcpProxy{StatPrefix: "tcp", ClusterSpecifier: &tcpv3.TcpProxy_Cluster{Cluster: "db"}, IdleTimeout: tc.set}
			l := &listenerv3.Listener{Name: "tcp", Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
				Address: "127.0.0.1", PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: 0}}}},
				FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{{Name: "envoy.filters.network.tcp_proxy",
					ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: MustAny(tp)}}}}}}
			c := &clusterv3.Cluster{Name: "db", ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
				ConnectTimeout: durationpb.New(time.Second)}
			s, err := NewCompiler().Compile(xdsconfig.Resources{Listeners: []*listenerv3.Listener{l}, Clusters: []*clusterv3.Cluster{c}})
			require.NoError(t, err)
			require.Len(t, s.Listeners, 1)
			assert.Equal(t, tc.want, s.Listeners[0].Chains[0].TCPIdleTimeout)
		})
	}
}
