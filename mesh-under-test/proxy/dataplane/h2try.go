package dataplane

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/net/http2"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/resilience"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/upstream"
)

// errPerTryTimeout: an attempt on the x/net/http2 path got no response
// head within the route's per-try timeout; its stream was reset (x/net
// sends RST_STREAM CANCEL when a request's context ends).
var errPerTryTimeout = errors.New("upstream per-try timeout")

// roundTripTry makes one attempt of out on the x/net/http2 transport. The
// per-try timeout bounds the wait for the response head only: as Envoy
// ignores it once the response has started downstream, a body that
// arrives after it is not cut. cancel ends the attempt's stream; call it
// when the attempt's response (body included) is done with. perTryOut
// reports an attempt the per-try timeout ended.
func roundTripTry(cl *upstream.Cluster, out *http.Request, p *resilience.RetryPolicy) (resp *http.Response, cancel context.CancelFunc, perTryOut bool, err error) {
	ctx, cancel := context.WithCancel(out.Context())
	if p == nil || p.PerTryTimeout <= 0 {
		resp, err = cl.RoundTripH2(out.WithContext(ctx))
		return resp, cancel, false, err
	}
	timer := time.AfterFunc(p.PerTryTimeout, cancel)
	resp, err = cl.RoundTripH2(out.WithContext(ctx))
	if !timer.Stop() && out.Context().Err() == nil {
		// The timer fired (and cancelled the stream) before the head was
		// in, or as it came: the attempt timed out either way.
		if resp != nil {
			_ = resp.Body.Close()
		}
		return nil, cancel, true, errPerTryTimeout
	}
	return resp, cancel, false, err
}

// retryH2 decides whether an attempt's outcome calls for a retry under p:
// a status (and, for a gRPC call, the grpc-status of a trailers-only
// response), a connect failure, a refused stream, a reset, or a per-try
// timeout (retried as Envoy does under 5xx, gateway-error and reset, like
// a reset).
func retryH2(p *resilience.RetryPolicy, status int, err error, perTryOut bool, resp *http.Response, grpc bool) bool {
	var se http2.StreamError
	switch {
	case err == nil:
		if code, ok := trailersOnlyGRPCStatus(resp, grpc); ok && p.RetryGRPC(code) {
			return true
		}
		return p.RetryStatus(status)
	case perTryOut:
		return p.RetryReset()
	case errors.Is(err, upstream.ErrConnect):
		return p.RetryConnectFailure()
	case errors.As(err, &se) && se.Code == http2.ErrCodeRefusedStream:
		return p.RetryRefusedStream()
	}
	return p.RetryReset()
}

// trailersOnlyGRPCStatus is the grpc-status in a gRPC call's response
// headers: present only in a trailers-only response (an error with no
// message), which is what Envoy's gRPC retry conditions and its outlier
// detection read.
func trailersOnlyGRPCStatus(resp *http.Response, grpc bool) (int, bool) {
	if !grpc || resp == nil {
		return 0, false
	}
	v := resp.Header.Get("Grpc-Status")
	if v == "" {
		return 0, false
	}
	code, err := strconv.Atoi(v)
	return code, err == nil
}

// outlierStatus is what an attempt's outcome counts as in outlier
// detection, as Envoy's router feeds its detector: the status, a gRPC
// trailers-only status mapped to HTTP, 504 for a per-try or route timeout
// (LocalOriginTimeout with the timeout's code), 0 (a gateway failure) for
// a connect failure or reset.
func outlierStatus(status int, err error, perTryOut bool, resp *http.Response, grpc bool) int {
	switch {
	case perTryOut, errors.Is(err, context.DeadlineExceeded): // the per-try or the route timeout
		return http.StatusGatewayTimeout
	case err != nil:
		return 0
	}
	if code, ok := trailersOnlyGRPCStatus(resp, grpc); ok {
		return resilience.GRPCStatusAsHTTP(code)
	}
	return status
}
