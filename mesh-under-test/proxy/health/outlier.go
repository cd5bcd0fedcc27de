package health

import (
	"time"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/lb"
)

// OutlierConfig is Envoy's outlier_detection (the consecutive-error part).
type OutlierConfig struct {
	Consecutive5xx            int32 // default 5; 0 disables
	ConsecutiveGatewayFailure int32 // default 0 (disabled, as Envoy's enforcing default 0)
	BaseEjectionTime          time.Duration
	MaxEjectionTime           time.Duration
	MaxEjectionPercent        int // default 10; at least one host may always be ejected
}

// Outlier applies OutlierConfig to a cluster's hosts.
type Outlier struct {
	cfg   OutlierConfig
	hosts []*lb.Host
	// OnEject, if set, is called once per ejection (metrics).
	OnEject func(h *lb.Host)
}

// NewOutlier returns a detector over hosts.
func NewOutlier(cfg OutlierConfig, hosts []*lb.Host) *Outlier {
	if cfg.BaseEjectionTime <= 0 {
		cfg.BaseEjectionTime = 30 * time.Second
	}
	if cfg.MaxEjectionTime <= 0 {
		cfg.MaxEjectionTime = 300 * time.Second
	}
	return &Outlier{cfg: cfg, hosts: hosts}
}

// Record feeds one result, as Envoy's detector takes it without
// split_external_local_origin_errors: the upstream status, 0 for a connect
// failure or reset (Envoy's LocalOriginConnectFailed: a 503), 504 for a
// per-try timeout (LocalOriginTimeout, counted with the route's timeout
// code), a gRPC trailers-only status mapped to HTTP
// (resilience.GRPCStatusAsHTTP). A 5xx counts toward consecutive_5xx; a
// 502, 503 or 504 also toward consecutive_gateway_failure, which any
// other 5xx resets; anything below 500 resets both.
func (o *Outlier) Record(h *lb.Host, status int, now int64) {
	if o == nil {
		return
	}
	if status != 0 && status < 500 {
		h.Consecutive5xx.Store(0)
		h.ConsecutiveGateway.Store(0)
		return
	}
	eject := false
	if n := o.cfg.Consecutive5xx; n > 0 && h.Consecutive5xx.Add(1) >= n {
		eject = true
	}
	if status == 0 || status == 502 || status == 503 || status == 504 {
		if n := o.cfg.ConsecutiveGatewayFailure; n > 0 && h.ConsecutiveGateway.Add(1) >= n {
			eject = true
		}
	} else {
		h.ConsecutiveGateway.Store(0)
	}
	if eject {
		o.eject(h, now)
	}
}

func (o *Outlier) eject(h *lb.Host, now int64) {
	if h.Ejected(now) {
		return
	}
	ejected := 0
	for _, x := range o.hosts {
		if x.Ejected(now) {
			ejected++
		}
	}
	maxPct := o.cfg.MaxEjectionPercent
	if maxPct == 0 {
		maxPct = 10
	}
	if ejected > 0 && (ejected+1)*100 > maxPct*len(o.hosts) {
		return
	}
	times := h.Ejections.Add(1)
	d := o.cfg.BaseEjectionTime * time.Duration(times)
	if d > o.cfg.MaxEjectionTime {
		d = o.cfg.MaxEjectionTime
	}
	h.Eject(now + int64(d))
	h.Consecutive5xx.Store(0)
	h.ConsecutiveGateway.Store(0)
	if o.OnEject != nil {
		o.OnEject(h)
	}
}
