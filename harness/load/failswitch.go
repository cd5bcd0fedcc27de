package load

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"

	"fortio.org/fortio/fhttp"

	"github.com/meshbench/meshbench/harness/httpsrv"
)

// FailSwitch turns an app replica into a failing one and back while it
// runs (a resilience scenario's fail fault: one endpoint of three answering
// 5xx, which the mesh's outlier detection must eject). Safe for concurrent
// use; the zero value serves normally.
type FailSwitch struct{ status atomic.Int32 }

// Fail makes every following request answer status (with no body).
func (f *FailSwitch) Fail(status int) { f.status.Store(int32(status)) }

// Heal makes requests reach the app again.
func (f *FailSwitch) Heal() { f.status.Store(0) }

// Handler answers the switch's status while it is failing, else calls next.
func (f *FailSwitch) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := f.status.Load(); s != 0 {
			w.WriteHeader(int(s))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ServeSwitchedEcho is ServeEcho behind a FailSwitch.
func ServeSwitchedEcho(ctx context.Context, ln net.Listener, f *FailSwitch) error {
	return httpsrv.Serve(ctx, ln, f.Handler(http.HandlerFunc(fhttp.EchoHandler)))
}
