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
	MTLS string `yaml:"mtls,omitempty"`
	// Destinations hold per-service client-side traffic policy.
	Destinations []Destination `yaml:"destinations,omitempty"`
	// Routes hold per-service routing rules (applied by callers' proxies).
	Routes []ServiceRoutes `yaml:"routes,omitempty"`
	// RateLimits are enforced by the service's own (inbound) proxies.
	RateLimits []RateLimit `yaml:"rateLimits,omitempty"`
	// Authorization is enforced by the service's own (inbound) proxies.
	Authorization []Authorization `yaml:"authorization,omitempty"`
}

// Destination is the client-side policy for calls to one service.
type Destination struct {
	Service          string            `yaml:"service"`
	LoadBalancer     string            `yaml:"loadBalancer,omitempty"`
	ConnectTimeout   Duration          `yaml:"connectTimeout,omitempty"`
	CircuitBreaker   *CircuitBreaker   `yaml:"circuitBreaker,omitempty"`
	OutlierDetection *OutlierDetection `yaml:"outlierDetection,omitempty"`
	HealthCheck      *HealthCheck      `yaml:"healthCheck,omitempty"`
	// Subsets name groups of endpoints by label, for weighted splits.
	Subsets []Subset `yaml:"subsets,omitempty"`
}

// Subset is a labelled group of a service's endpoints.
type Subset struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels"`
}

// CircuitBreaker limits concurrency towards a service (Envoy thresholds).
type CircuitBreaker struct {
	MaxConnections     uint32 `yaml:"maxConnections,omitempty"`
	MaxPendingRequests uint32 `yaml:"maxPendingRequests,omitempty"`
	MaxRequests        uint32 `yaml:"maxRequests,omitempty"`
	MaxRetries         uint32 `yaml:"maxRetries,omitempty"`
	// RetryBudgetPercent caps active retries at this percent of active
	// requests (Envoy retry_budget); 0 leaves it off.
	RetryBudgetPercent  float64 `yaml:"retryBudgetPercent,omitempty"`
	MinRetryConcurrency uint32  `yaml:"minRetryConcurrency,omitempty"`
}

// OutlierDetection ejects failing endpoints.
type OutlierDetection struct {
	Consecutive5xx     uint32   `yaml:"consecutive5xx,omitempty"`
	Interval           Duration `yaml:"interval,omitempty"`
	BaseEjectionTime   Duration `yaml:"baseEjectionTime,omitempty"`
	MaxEjectionPercent uint32   `yaml:"maxEjectionPercent,omitempty"`
}

// HealthCheck is an active HTTP health check.
type HealthCheck struct {
	Path               string   `yaml:"path"`
	Interval           Duration `yaml:"interval"`
	Timeout            Duration `yaml:"timeout"`
	HealthyThreshold   uint32   `yaml:"healthyThreshold,omitempty"`
	UnhealthyThreshold uint32   `yaml:"unhealthyThreshold,omitempty"`
}

// ServiceRoutes are the ordered routing rules for calls to one service. The
// first matching rule wins; a call matching none goes to the service.
type ServiceRoutes struct {
	Service string `yaml:"service"`
	Rules   []Rule `yaml:"rules"`
}

// Rule is one route: a match and what to do with matching requests.
type Rule struct {
	Match   Match          `yaml:"match,omitempty"`
	Split   []WeightedDest `yaml:"split,omitempty"`
	Timeout Duration       `yaml:"timeout,omitempty"`
	Retries *Retries       `yaml:"retries,omitempty"`
	Fault   *Fault         `yaml:"fault,omitempty"`
}

// Match selects requests. Empty matches everything.
type Match struct {
	PathPrefix string            `yaml:"pathPrefix,omitempty"`
	Path       string            `yaml:"path,omitempty"`
	Method     string            `yaml:"method,omitempty"`
	Headers    map[string]string `yaml:"headers,omitempty"` // exact values
}

// WeightedDest is one arm of a weighted split: a subset of the service
// (declared in its Destination) or, with Subset empty, the whole service.
type WeightedDest struct {
	Subset string `yaml:"subset,omitempty"`
	Weight uint32 `yaml:"weight"`
}

// Retries is the retry policy of a route.
type Retries struct {
	Attempts      uint32   `yaml:"attempts"`
	PerTryTimeout Duration `yaml:"perTryTimeout,omitempty"`
	// On is Envoy's retry_on, e.g. "5xx,connect-failure"; default
	// "5xx,connect-failure,reset".
	On string `yaml:"on,omitempty"`
}

// Fault injects delays and aborts.
type Fault struct {
	Delay *FaultDelay `yaml:"delay,omitempty"`
	Abort *FaultAbort `yaml:"abort,omitempty"`
}

// FaultDelay delays Percent of requests by Duration.
type FaultDelay struct {
	Percent  float64  `yaml:"percent"`
	Duration Duration `yaml:"duration"`
}

// FaultAbort answers Percent of requests with Status.
type FaultAbort struct {
	Percent float64 `yaml:"percent"`
	Status  uint32  `yaml:"status"`
}

// RateLimit is a local token bucket on each of the service's proxies.
type RateLimit struct {
	Service           string  `yaml:"service"`
	RequestsPerSecond float64 `yaml:"requestsPerSecond"`
	Burst             uint32  `yaml:"burst,omitempty"`
}

// Authorization lists who may call a service; a request matching no rule
// is denied (403) once any rule exists for the service.
type Authorization struct {
	Service string      `yaml:"service"`
	Allow   []AuthzRule `yaml:"allow"`
}

// AuthzRule allows requests from any of From (SPIFFE ids; empty means any)
// to any of Paths (prefixes; empty means any) with any of Methods (empty
// means any).
type AuthzRule struct {
	From    []string `yaml:"from,omitempty"`
	Paths   []string `yaml:"paths,omitempty"`
	Methods []string `yaml:"methods,omitempty"`
}
