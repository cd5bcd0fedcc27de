package meshconfig

// mTLS modes, as Istio's PeerAuthentication names them.
const (
	MTLSDisable    = "disable"    // plaintext everywhere
	MTLSPermissive = "permissive" // servers accept both; clients use mTLS to proxied endpoints
	MTLSStrict     = "strict"     // servers require mTLS; clients use it to proxied endpoints
)

// Load-balancing algorithms.
const (
	LBRoundRobin   = "round_robin"
	LBLeastRequest = "least_request" // power of two choices
)

// Policy is the mesh-wide and per-service policy.
type Policy struct {
	// MTLS is the mesh-wide mode; default "disable".
	MTLS string `yaml:"mtls,omitempty" json:"mtls,omitempty"`
	// Destinations hold per-service client-side traffic policy.
	Destinations []Destination `yaml:"destinations,omitempty" json:"destinations,omitempty"`
	// Routes hold per-service routing rules (applied by callers' proxies).
	Routes []ServiceRoutes `yaml:"routes,omitempty" json:"routes,omitempty"`
	// RateLimits are enforced by the service's own (inbound) proxies.
	RateLimits []RateLimit `yaml:"rateLimits,omitempty" json:"rateLimits,omitempty"`
	// Authorization is enforced by the service's own (inbound) proxies.
	Authorization []Authorization `yaml:"authorization,omitempty" json:"authorization,omitempty"`
}

// Destination is the client-side policy for calls to one service.
type Destination struct {
	Service          string            `yaml:"service" json:"service,omitempty"`
	LoadBalancer     string            `yaml:"loadBalancer,omitempty" json:"loadBalancer,omitempty"`
	ConnectTimeout   Duration          `yaml:"connectTimeout,omitempty" json:"connectTimeout,omitempty"`
	CircuitBreaker   *CircuitBreaker   `yaml:"circuitBreaker,omitempty" json:"circuitBreaker,omitempty"`
	OutlierDetection *OutlierDetection `yaml:"outlierDetection,omitempty" json:"outlierDetection,omitempty"`
	HealthCheck      *HealthCheck      `yaml:"healthCheck,omitempty" json:"healthCheck,omitempty"`
	// Subsets name groups of endpoints by label, for weighted splits.
	Subsets []Subset `yaml:"subsets,omitempty" json:"subsets,omitempty"`
}

// Subset is a labelled group of a service's endpoints.
type Subset struct {
	Name   string            `yaml:"name" json:"name,omitempty"`
	Labels map[string]string `yaml:"labels" json:"labels,omitempty"`
}

// CircuitBreaker limits concurrency towards a service (Envoy thresholds).
type CircuitBreaker struct {
	MaxConnections     uint32 `yaml:"maxConnections,omitempty" json:"maxConnections,omitempty"`
	MaxPendingRequests uint32 `yaml:"maxPendingRequests,omitempty" json:"maxPendingRequests,omitempty"`
	MaxRequests        uint32 `yaml:"maxRequests,omitempty" json:"maxRequests,omitempty"`
	MaxRetries         uint32 `yaml:"maxRetries,omitempty" json:"maxRetries,omitempty"`
	// RetryBudgetPercent caps active retries at this percent of active
	// requests (Envoy retry_budget); 0 leaves it off.
	RetryBudgetPercent  float64 `yaml:"retryBudgetPercent,omitempty" json:"retryBudgetPercent,omitempty"`
	MinRetryConcurrency uint32  `yaml:"minRetryConcurrency,omitempty" json:"minRetryConcurrency,omitempty"`
}

// OutlierDetection ejects failing endpoints.
type OutlierDetection struct {
	Consecutive5xx     uint32   `yaml:"consecutive5xx,omitempty" json:"consecutive5xx,omitempty"`
	Interval           Duration `yaml:"interval,omitempty" json:"interval,omitempty"`
	BaseEjectionTime   Duration `yaml:"baseEjectionTime,omitempty" json:"baseEjectionTime,omitempty"`
	MaxEjectionPercent uint32   `yaml:"maxEjectionPercent,omitempty" json:"maxEjectionPercent,omitempty"`
}

// HealthCheck is an active HTTP health check.
type HealthCheck struct {
	Path               string   `yaml:"path" json:"path,omitempty"`
	Interval           Duration `yaml:"interval" json:"interval,omitempty"`
	Timeout            Duration `yaml:"timeout" json:"timeout,omitempty"`
	HealthyThreshold   uint32   `yaml:"healthyThreshold,omitempty" json:"healthyThreshold,omitempty"`
	UnhealthyThreshold uint32   `yaml:"unhealthyThreshold,omitempty" json:"unhealthyThreshold,omitempty"`
}

// ServiceRoutes are the ordered routing rules for calls to one service. The
// first matching rule wins; a call matching none goes to the service.
type ServiceRoutes struct {
	Service string `yaml:"service" json:"service,omitempty"`
	Rules   []Rule `yaml:"rules" json:"rules,omitempty"`
}

// Rule is one route: a match and what to do with matching requests.
type Rule struct {
	Match   Match          `yaml:"match,omitempty" json:"match,omitempty"`
	Split   []WeightedDest `yaml:"split,omitempty" json:"split,omitempty"`
	Timeout Duration       `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	Retries *Retries       `yaml:"retries,omitempty" json:"retries,omitempty"`
	Fault   *Fault         `yaml:"fault,omitempty" json:"fault,omitempty"`
}

// Match selects requests. Empty matches everything.
type Match struct {
	PathPrefix string            `yaml:"pathPrefix,omitempty" json:"pathPrefix,omitempty"`
	Path       string            `yaml:"path,omitempty" json:"path,omitempty"`
	Method     string            `yaml:"method,omitempty" json:"method,omitempty"`
	Headers    map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"` // exact values
}

// WeightedDest is one arm of a weighted split: a subset of the service
// (declared in its Destination) or, with Subset empty, the whole service.
type WeightedDest struct {
	Subset string `yaml:"subset,omitempty" json:"subset,omitempty"`
	Weight uint32 `yaml:"weight" json:"weight,omitempty"`
}

// Retries is the retry policy of a route.
type Retries struct {
	Attempts      uint32   `yaml:"attempts" json:"attempts,omitempty"`
	PerTryTimeout Duration `yaml:"perTryTimeout,omitempty" json:"perTryTimeout,omitempty"`
	// On is Envoy's retry_on, e.g. "5xx,connect-failure" or, for gRPC,
	// "unavailable,cancelled" (resilience.RetryConditions lists the
	// values); default "5xx,connect-failure,reset".
	On string `yaml:"on,omitempty" json:"on,omitempty"`
}

// Fault injects delays and aborts.
type Fault struct {
	Delay *FaultDelay `yaml:"delay,omitempty" json:"delay,omitempty"`
	Abort *FaultAbort `yaml:"abort,omitempty" json:"abort,omitempty"`
}

// FaultDelay delays Percent of requests by Duration.
type FaultDelay struct {
	Percent  float64  `yaml:"percent" json:"percent,omitempty"`
	Duration Duration `yaml:"duration" json:"duration,omitempty"`
}

// FaultAbort answers Percent of requests with Status.
type FaultAbort struct {
	Percent float64 `yaml:"percent" json:"percent,omitempty"`
	Status  uint32  `yaml:"status" json:"status,omitempty"`
}

// RateLimit is a local token bucket on each of the service's proxies.
type RateLimit struct {
	Service           string  `yaml:"service" json:"service,omitempty"`
	RequestsPerSecond float64 `yaml:"requestsPerSecond" json:"requestsPerSecond,omitempty"`
	Burst             uint32  `yaml:"burst,omitempty" json:"burst,omitempty"`
}

// Authorization lists who may call a service. A request matching a Deny
// rule is refused (403); otherwise, once any Allow rule exists, a request
// matching no Allow rule is refused. One entry per service.
type Authorization struct {
	Service string      `yaml:"service" json:"service,omitempty"`
	Allow   []AuthzRule `yaml:"allow,omitempty" json:"allow,omitempty"`
	Deny    []AuthzRule `yaml:"deny,omitempty" json:"deny,omitempty"`
}

// AuthzRule matches (to allow or deny) requests from any of From (SPIFFE ids; empty means any)
// to any of Paths (prefixes; empty means any) with any of Methods (empty
// means any).
type AuthzRule struct {
	From    []string `yaml:"from,omitempty" json:"from,omitempty"`
	Paths   []string `yaml:"paths,omitempty" json:"paths,omitempty"`
	Methods []string `yaml:"methods,omitempty" json:"methods,omitempty"`
}
