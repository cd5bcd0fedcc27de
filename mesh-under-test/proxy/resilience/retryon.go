package resilience

import (
	"fmt"
	"strings"
)

// RetryCondition is one value of Envoy's retry_on, as this proxy honours it.
type RetryCondition struct {
	Name string  // Envoy's name, as in route.retry_policy.retry_on
	On   RetryOn // its bit
	What string  // what it retries, for docs and errors
}

// RetryConditions is the one list of the retry_on values the proxy
// honours: the xDS compiler (proxy/config) and meshcontrol's policy check
// (meshconfig) both parse with ParseRetryOn, so a value is accepted in a
// mesh file exactly when the proxy acts on it. The gRPC ones are Envoy's
// x-envoy-retry-grpc-on values, which Envoy also accepts in the route's
// retry_on (RetryPolicyImpl parses the string both ways).
var RetryConditions = []RetryCondition{
	{"5xx", On5xx, "any 5xx response, a connect failure, a reset or a per-try timeout"},
	{"gateway-error", OnGatewayError, "502, 503 or 504, a connect failure, a reset or a per-try timeout"},
	{"connect-failure", OnConnectFailure, "a failed connect to the upstream"},
	{"reset", OnReset, "a reset or lost connection before the response head, or a per-try timeout"},
	{"refused-stream", OnRefusedStream, "an HTTP/2 stream the upstream refused (RST_STREAM REFUSED_STREAM, or above a GOAWAY's last stream id)"},
	{"retriable-status-codes", OnRetriableCodes, "a status listed in retriable_status_codes"},
	{"cancelled", OnGRPCCancelled, "a gRPC trailers-only response with grpc-status 1 (CANCELLED)"},
	{"deadline-exceeded", OnGRPCDeadlineExceeded, "a gRPC trailers-only response with grpc-status 4 (DEADLINE_EXCEEDED)"},
	{"resource-exhausted", OnGRPCResourceExhausted, "a gRPC trailers-only response with grpc-status 8 (RESOURCE_EXHAUSTED)"},
	{"internal", OnGRPCInternal, "a gRPC trailers-only response with grpc-status 13 (INTERNAL)"},
	{"unavailable", OnGRPCUnavailable, "a gRPC trailers-only response with grpc-status 14 (UNAVAILABLE)"},
}

// RetryConditionNames lists RetryConditions' names, comma-separated.
func RetryConditionNames() string {
	names := make([]string, len(RetryConditions))
	for i, c := range RetryConditions {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// ParseRetryOn parses a retry_on value: comma-separated condition names,
// spaces around them ignored. An unknown name is an error naming it and
// the names known.
func ParseRetryOn(s string) (RetryOn, error) {
	var on RetryOn
next:
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		for _, c := range RetryConditions {
			if c.Name == name {
				on |= c.On
				continue next
			}
		}
		return 0, fmt.Errorf("unknown retry condition %q (known: %s)", name, RetryConditionNames())
	}
	return on, nil
}

// gRPC status codes the retry conditions name.
const (
	grpcCancelled         = 1
	grpcDeadlineExceeded  = 4
	grpcResourceExhausted = 8
	grpcInternal          = 13
	grpcUnavailable       = 14
)

// RetryGRPC reports whether a gRPC trailers-only response carrying code
// in its grpc-status calls for a retry (Envoy's wouldRetryFromHeaders:
// grpc-status is read from the response headers only, so a status sent
// in trailers after a response body is never retried).
func (p *RetryPolicy) RetryGRPC(code int) bool {
	if p == nil {
		return false
	}
	var want RetryOn
	switch code {
	case grpcCancelled:
		want = OnGRPCCancelled
	case grpcDeadlineExceeded:
		want = OnGRPCDeadlineExceeded
	case grpcResourceExhausted:
		want = OnGRPCResourceExhausted
	case grpcInternal:
		want = OnGRPCInternal
	case grpcUnavailable:
		want = OnGRPCUnavailable
	default:
		return false
	}
	return p.On&want != 0
}

// RetryRefusedStream reports whether a stream the upstream refused
// (REFUSED_STREAM, or cut by its GOAWAY unprocessed) calls for a retry:
// under refused-stream, and under every condition that retries any reset
// (Envoy's wouldRetryFromReset).
func (p *RetryPolicy) RetryRefusedStream() bool {
	return p != nil && p.On&(On5xx|OnGatewayError|OnReset|OnRefusedStream) != 0
}

// GRPCStatusAsHTTP maps a gRPC status code to the HTTP status Envoy's
// outlier detector counts for it (Grpc::Utility::grpcToHttpStatus): the
// router feeds a trailers-only response's grpc-status to outlier detection
// this way, so a host answering UNAVAILABLE counts as a 503.
func GRPCStatusAsHTTP(code int) int {
	switch code {
	case 0:
		return 200
	case 1:
		return 499
	case 3, 9, 11:
		return 400
	case 4:
		return 504
	case 5:
		return 404
	case 6, 10:
		return 409
	case 7:
		return 403
	case 8:
		return 429
	case 12:
		return 501
	case 14:
		return 503
	case 16:
		return 401
	}
	return 500 // 2 UNKNOWN, 13 INTERNAL, 15 DATA_LOSS, anything else
}
