package load

import (
	"context"
	"net"
	"net/http"

	"fortio.org/fortio/fhttp"

	"github.com/meshbench/meshbench/harness/httpsrv"
)

// ServeEcho runs fortio's echo handler (the app of every lane) on ln,
// speaking HTTP/1.1 and prior-knowledge h2c, until ctx is done.
func ServeEcho(ctx context.Context, ln net.Listener) error {
	return httpsrv.Serve(ctx, ln, http.HandlerFunc(fhttp.EchoHandler))
}
