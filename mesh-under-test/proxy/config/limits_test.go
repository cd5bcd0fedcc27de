package config

import (
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/http1"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
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
