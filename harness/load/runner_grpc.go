package load

import (
	"fmt"

	"fortio.org/fortio/fgrpc"
	"fortio.org/fortio/periodic"
)

// grpcRunner drives unary gRPC calls of fortio's Ping service (the payload
// echoed back), one HTTP/2 connection per fortio thread, over plaintext h2c:
// what Istio's benchmark calls its gRPC case.
type grpcRunner struct{}

func (grpcRunner) Run(base periodic.RunnerOptions, o Options) (*Outcome, error) {
	ro := fgrpc.GRPCRunnerOptions{RunnerOptions: base}
	ro.Destination = hostPort(o.URL)
	ro.UsePing = true
	ro.Streams = 1
	ro.AllowInitialErrors = true
	if o.PayloadBytes > 0 {
		ro.Payload = string(payload(o.PayloadBytes))
	}
	res, err := fgrpc.RunGRPCTest(&ro)
	if err != nil {
		return nil, fmt.Errorf("grpc: %w", err)
	}
	out := &Outcome{RunnerResults: res.RunnerResults, Fortio: res}
	for status, n := range res.RetCodes {
		if status != "SERVING" {
			out.addError("grpc "+status, n)
		}
	}
	return out, nil
}
