package meshconfig

// Telemetry is the mesh-wide telemetry every proxy gets (Istio's Telemetry
// resource, reduced to what the proxy does).
type Telemetry struct {
	// Tracing exports a span per request per proxy over OTLP (nil: the
	// proxies propagate trace context but export nothing).
	Tracing *Tracing `yaml:"tracing,omitempty" json:"tracing,omitempty"`
	// AccessLogging writes a structured record of sampled requests to each
	// proxy's stdout (nil: no access log).
	AccessLogging *AccessLogging `yaml:"accessLogging,omitempty" json:"accessLogging,omitempty"`
}

// AccessLogging is how many requests are logged.
type AccessLogging struct {
	// SamplingPercent of requests are logged, 0..100 (nil: 100).
	SamplingPercent *float64 `yaml:"samplingPercent,omitempty" json:"samplingPercent,omitempty"`
}

// Sampling returns the sampling percentage (100 when unset).
func (a *AccessLogging) Sampling() float64 {
	if a.SamplingPercent == nil {
		return 100
	}
	return *a.SamplingPercent
}

// Tracing is where spans go and how many traces are sampled.
type Tracing struct {
	// Collector is the OTLP/gRPC receiver (host:port, plaintext).
	Collector string `yaml:"collector" json:"collector,omitempty"`
	// SamplingPercent of new traces (requests arriving without trace
	// context) are sampled, 0..100; a request's own sampled flag always
	// wins. Istio's default is 1; here 0 means none (nil: 100).
	SamplingPercent *float64 `yaml:"samplingPercent,omitempty" json:"samplingPercent,omitempty"`
}

// Sampling returns the sampling percentage (100 when unset).
func (t *Tracing) Sampling() float64 {
	if t.SamplingPercent == nil {
		return 100
	}
	return *t.SamplingPercent
}

func (t *Telemetry) validate(c *checker) {
	if t == nil {
		return
	}
	if a := t.AccessLogging; a != nil {
		if v := a.Sampling(); v < 0 || v > 100 {
			c.add("telemetry.accessLogging.samplingPercent", "%v is outside 0..100", v)
		}
	}
	if t.Tracing == nil {
		return
	}
	c.addr("telemetry.tracing.collector", t.Tracing.Collector)
	if v := t.Tracing.Sampling(); v < 0 || v > 100 {
		c.add("telemetry.tracing.samplingPercent", "%v is outside 0..100", v)
	}
}
