package load

import (
	"context"
	"fmt"
	"time"

	"fortio.org/fortio/fgrpc"
	"fortio.org/fortio/periodic"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// grpcRunner drives unary gRPC calls of fortio's Ping service (the payload
// echoed back), one HTTP/2 connection per fortio thread, over plaintext h2c:
// what Istio's benchmark calls its gRPC case.
//
// It runs fortio's periodic engine and fortio's Ping client itself rather
// than fgrpc.RunGRPCTest, because RunGRPCTest never closes the connections
// it dials (fortio v1.75.3 leaves it as a TODO): every phase would leave its
// connections open, so a measured window followed its warm-up with twice the
// configured connections on the proxies (TestPhaseLeavesNoConnectionOpen).
// Here the phase owns its connections and closes them when it ends.
type grpcRunner struct{}

func (grpcRunner) Run(base periodic.RunnerOptions, o Options) (*Outcome, error) {
	dest := hostPort(o.URL)
	var msg string
	if o.PayloadBytes > 0 {
		msg = string(payload(o.PayloadBytes))
	}
	// NewPeriodicRunner moves the options (it clears base.Runners), so the
	// threads go into its copy, as fortio's runners do.
	r := periodic.NewPeriodicRunner(&base)
	defer r.Options().Abort() // required when Run is not reached
	threads := make([]*pingThread, r.Options().NumThreads)
	defer func() {
		for _, th := range threads {
			if th != nil {
				_ = th.conn.Close()
			}
		}
	}()
	for i := range threads {
		// passthrough: the address as given, as fortio's grpc.Dial resolves it.
		conn, err := grpc.NewClient("passthrough:///"+dest, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return nil, fmt.Errorf("grpc: dial %s: %w", dest, err)
		}
		th := &pingThread{conn: conn, client: fgrpc.NewPingServerClient(conn), codes: fgrpc.HealthResultMap{},
			req: fgrpc.PingMessage{Payload: msg, Seq: int64(i)}, timeout: o.Timeout}
		threads[i], r.Options().Runners[i] = th, th
		// One call before the clock starts, as fortio's runner does: the
		// connection is up when the schedule begins. It is not one of the
		// phase's requests: its outcome is not counted (a failing target
		// shows in every request of the phase).
		th.Run(context.Background(), 0)
		clear(th.codes)
	}
	res := r.Run()
	r.Options().ReleaseRunners()
	total := &fgrpc.GRPCRunnerResults{RunnerResults: res, RetCodes: fgrpc.HealthResultMap{},
		Destination: dest, Streams: 1, Ping: true}
	for _, th := range threads {
		for k, n := range th.codes {
			total.RetCodes[k] += n
		}
	}
	out := &Outcome{RunnerResults: res, Fortio: total}
	for status, n := range total.RetCodes {
		if status != pingOK {
			out.addError("grpc "+status, n)
		}
	}
	return out, nil
}

// pingOK is fortio's name for a successful call (the health service's
// SERVING), kept so results read as fortio's do.
const pingOK = "SERVING"

// pingThread is one fortio thread: its connection, client and counts.
// Each is used by one goroutine of the periodic engine at a time.
type pingThread struct {
	conn    *grpc.ClientConn
	client  fgrpc.PingServerClient
	req     fgrpc.PingMessage
	codes   fgrpc.HealthResultMap
	timeout time.Duration
}

// Run implements periodic.Runnable: one Ping, counted as fortio counts it.
// Each call is bounded by the phase's request timeout (fortio's runner has
// none: a server that never answers held a thread, and the phase, for as
// long as gRPC kept trying), as the HTTP and TCP runners bound theirs.
func (p *pingThread) Run(ctx context.Context, _ periodic.ThreadID) (bool, string) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	if _, err := p.client.Ping(ctx, &p.req); err != nil {
		p.codes[fgrpc.Error]++
		return false, err.Error()
	}
	p.codes[pingOK]++
	return true, pingOK
}
