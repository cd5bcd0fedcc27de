package config

import (
	"fmt"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/http1"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/match"
)

// Envoy's defaults for the downstream limits of an HTTP connection manager.
const (
	DefaultStreamIdleTimeout = 5 * time.Minute
	DefaultIdleTimeout       = time.Hour
)

// Limits bound what one downstream HTTP connection may hold and for how long.
type Limits struct {
	// HeadersTimeout bounds reading one request head, from its first byte:
	// request_headers_timeout, else stream_idle_timeout (Envoy's stream
	// exists from the first byte, so its idle timeout covers a stalled head;
	// here the whole head must arrive within it, so a head trickled a byte
	// at a time is cut too). 0: no limit.
	HeadersTimeout time.Duration
	// IdleTimeout closes a connection with no request in flight:
	// common_http_protocol_options.idle_timeout. 0: no limit.
	IdleTimeout time.Duration
	// Head: max_request_headers_kb, common_http_protocol_options
	// max_headers_count and headers_with_underscores_action.
	Head http1.Limits
}

// duration reads an optional Duration: unset gives def, zero disables.
func duration(d *durationpb.Duration, def time.Duration) time.Duration {
	if d == nil {
		return def
	}
	return d.AsDuration()
}

// compileLimits reads the HCM fields that set the downstream limits, with
// Envoy's defaults. Protocol options the proxy does not implement are
// refused rather than ignored.
func compileLimits(h *hcmv3.HttpConnectionManager) (Limits, error) {
	o := h.GetCommonHttpProtocolOptions()
	l := Limits{
		HeadersTimeout: duration(h.GetRequestHeadersTimeout(), 0),
		IdleTimeout:    duration(o.GetIdleTimeout(), DefaultIdleTimeout),
		Head: http1.Limits{MaxHeadBytes: int(h.GetMaxRequestHeadersKb().GetValue()) << 10,
			MaxFields: int(o.GetMaxHeadersCount().GetValue())},
	}
	if l.HeadersTimeout == 0 {
		l.HeadersTimeout = duration(h.GetStreamIdleTimeout(), DefaultStreamIdleTimeout)
	}
	switch a := o.GetHeadersWithUnderscoresAction(); a {
	case corev3.HttpProtocolOptions_ALLOW:
	case corev3.HttpProtocolOptions_REJECT_REQUEST:
		l.Head.Underscores = http1.UnderscoresReject
	case corev3.HttpProtocolOptions_DROP_HEADER:
		l.Head.Underscores = http1.UnderscoresDrop
	default:
		return l, fmt.Errorf("common_http_protocol_options.headers_with_underscores_action %v: %w", a, match.ErrUnsupported)
	}
	switch {
	case o.GetMaxConnectionDuration() != nil:
		return l, fmt.Errorf("common_http_protocol_options.max_connection_duration: %w", match.ErrUnsupported)
	case o.GetMaxStreamDuration() != nil:
		return l, fmt.Errorf("common_http_protocol_options.max_stream_duration: %w", match.ErrUnsupported)
	case o.GetMaxRequestsPerConnection() != nil:
		return l, fmt.Errorf("common_http_protocol_options.max_requests_per_connection: %w", match.ErrUnsupported)
	}
	return l, nil
}
