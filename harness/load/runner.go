package load

import (
	"fmt"
	"sort"
	"strings"

	"fortio.org/fortio/periodic"

	"github.com/meshbench/meshbench/harness/results"
)

// A Runner speaks one protocol inside fortio's periodic engine, the way
// fortio keeps one runner per protocol (fhttp, fgrpc, tcprunner) under one
// protocol-agnostic scheduler. base carries everything that is not protocol:
// rate, duration, threads, the per-request access logger, the stop signal;
// the Runner adds its target and payload, runs, and returns fortio's common
// results with the outcomes that were not successes.
//
// Runners are stateless values: Run may be called concurrently.
type Runner interface {
	Run(base periodic.RunnerOptions, o Options) (*Outcome, error)
}

// Outcome is what a Runner returns: fortio's protocol-independent results
// (start time, threads, achieved QPS, duration histogram), failures by
// cause, and fortio's own protocol result (for export in fortio's format).
type Outcome struct {
	periodic.RunnerResults
	// Errors counts failed requests by cause: an HTTP status ("503"),
	// "socket" for a connection failure, a gRPC or TCP error text.
	Errors map[string]int64
	// Fortio is fortio's own result value (*fhttp.HTTPRunnerResults,
	// *fgrpc.GRPCRunnerResults or *tcprunner.RunnerResults).
	Fortio any
}

// runners is the protocol catalog of the load client: a case's protocol
// (results.Protocols) names one of these.
func runners() map[string]Runner {
	return map[string]Runner{
		results.ProtocolHTTP1: httpRunner{},
		results.ProtocolH2:    httpRunner{h2: true},
		results.ProtocolGRPC:  grpcRunner{},
		results.ProtocolTCP:   tcpRunner{},
	}
}

// Protocols lists the protocols the load client can drive, sorted.
func Protocols() []string {
	rs := runners()
	out := make([]string, 0, len(rs))
	for p := range rs {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func runnerFor(protocol string) (Runner, error) {
	r, ok := runners()[protocol]
	if !ok {
		return nil, fmt.Errorf("protocol %q not supported by the load client (%s)", protocol, strings.Join(Protocols(), ", "))
	}
	return r, nil
}

// hostPort strips a URL down to host:port for the runners that dial a
// socket (gRPC, TCP): the harness hands every runner the same kind of
// target URL.
func hostPort(url string) string {
	if _, rest, ok := strings.Cut(url, "://"); ok {
		url = rest
	}
	if i := strings.IndexByte(url, '/'); i >= 0 {
		url = url[:i]
	}
	return url
}
