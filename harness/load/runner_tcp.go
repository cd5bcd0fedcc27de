package load

import (
	"fmt"

	"fortio.org/fortio/periodic"
	"fortio.org/fortio/tcprunner"
)

// tcpRunner drives fortio's TCP echo exchange: each request writes the
// payload on a kept-open connection and reads it back in full; the app
// echoes bytes, so the proxies see an opaque stream (TCP passthrough).
type tcpRunner struct{}

func (tcpRunner) Run(base periodic.RunnerOptions, o Options) (*Outcome, error) {
	ro := tcprunner.RunnerOptions{RunnerOptions: base}
	ro.Destination = "tcp://" + hostPort(o.URL)
	ro.ReqTimeout = o.Timeout
	n := o.PayloadBytes
	if n <= 0 {
		n = 32 // fortio's own default message is about this size
	}
	ro.Payload = payload(n)
	res, err := tcprunner.RunTCPTest(&ro)
	if err != nil {
		return nil, fmt.Errorf("tcp: %w", err)
	}
	out := &Outcome{RunnerResults: res.RunnerResults, Fortio: res}
	for cause, n := range res.RetCodes {
		if cause != tcprunner.TCPStatusOK {
			out.addError("tcp "+cause, n)
		}
	}
	return out, nil
}
