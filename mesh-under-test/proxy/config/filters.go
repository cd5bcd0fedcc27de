package config

import (
	"errors"
	"time"

	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	lrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/resilience"
)

// perMillion converts a FractionalPercent; nil means def.
func perMillion(p *typev3.FractionalPercent, def uint32) uint32 {
	if p == nil {
		return def
	}
	n := uint64(p.GetNumerator())
	switch p.GetDenominator() {
	case typev3.FractionalPercent_HUNDRED:
		n *= 10_000
	case typev3.FractionalPercent_TEN_THOUSAND:
		n *= 100
	}
	return uint32(min(n, 1_000_000))
}

// compileFault maps HTTPFault. A delay or abort without percentage applies to
// every request.
func compileFault(f *faultv3.HTTPFault) (*resilience.Fault, error) {
	out := &resilience.Fault{}
	if d := f.GetDelay(); d != nil {
		if d.GetFixedDelay() == nil {
			return nil, errors.New("fault delay: only fixed_delay is supported")
		}
		out.Delay = d.GetFixedDelay().AsDuration()
		out.DelayPerMillion = perMillion(d.GetPercentage(), 1_000_000)
	}
	if a := f.GetAbort(); a != nil {
		if a.GetHttpStatus() == 0 {
			return nil, errors.New("fault abort: only http_status is supported")
		}
		out.AbortStatus = int(a.GetHttpStatus())
		out.AbortPerMillion = perMillion(a.GetPercentage(), 1_000_000)
	}
	return out, nil
}

// compileRateLimit maps LocalRateLimit's token bucket. As in Envoy, the
// filter only acts when filter_enabled and filter_enforced are set (any
// non-zero fraction enables it fully).
func compileRateLimit(l *lrlv3.LocalRateLimit) (*resilience.TokenBucket, error) {
	if l.GetFilterEnabled().GetDefaultValue().GetNumerator() == 0 ||
		l.GetFilterEnforced().GetDefaultValue().GetNumerator() == 0 {
		return nil, nil
	}
	tb := l.GetTokenBucket()
	if tb == nil {
		return nil, errors.New("local_ratelimit: token_bucket is required")
	}
	perFill := int64(1)
	if v := tb.GetTokensPerFill(); v != nil {
		perFill = int64(v.GetValue())
	}
	return resilience.NewTokenBucket(int64(tb.GetMaxTokens()), perFill, tb.GetFillInterval().AsDuration(), time.Now()), nil
}
