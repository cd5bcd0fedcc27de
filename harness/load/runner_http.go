package load

import (
	"io"
	"strconv"

	"fortio.org/fortio/fhttp"
	"fortio.org/fortio/periodic"
)

// httpRunner drives HTTP/1.1 (fortio's fast client) or prior-knowledge h2c
// (fortio's std client) with fhttp.
type httpRunner struct{ h2 bool }

func (h httpRunner) Run(base periodic.RunnerOptions, o Options) (*Outcome, error) {
	ro := fhttp.HTTPRunnerOptions{RunnerOptions: base}
	ro.Out = io.Discard
	ro.URL = o.URL
	ro.NumConnections = o.Connections
	ro.HTTPReqTimeOut = o.Timeout
	ro.AllowInitialErrors = true
	if h.h2 {
		ro.H2 = true
		ro.DisableFastClient = true // fortio's fast client speaks HTTP/1.1 only
	}
	if o.PayloadBytes > 0 {
		ro.Payload = payload(o.PayloadBytes)
	}
	res, err := fhttp.RunHTTPTest(&ro)
	if err != nil {
		return nil, err
	}
	out := &Outcome{RunnerResults: res.RunnerResults, Fortio: res}
	for code, n := range res.RetCodes {
		if code >= 200 && code < 400 {
			continue
		}
		key := strconv.Itoa(code)
		if code < 0 {
			key = "socket"
		}
		out.addError(key, n)
	}
	return out, nil
}

func (o *Outcome) addError(cause string, n int64) {
	if n == 0 {
		return
	}
	if o.Errors == nil {
		o.Errors = map[string]int64{}
	}
	o.Errors[cause] += n
}
