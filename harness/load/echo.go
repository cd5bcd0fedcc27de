package load

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"fortio.org/fortio/fhttp"
)

// ServeEcho runs fortio's echo handler (the app of every lane) on ln,
// speaking HTTP/1.1 and prior-knowledge h2c, until ctx is done.
func ServeEcho(ctx context.Context, ln net.Listener) error {
	var protos http.Protocols
	protos.SetHTTP1(true)
	protos.SetUnencryptedHTTP2(true)
	srv := &http.Server{
		Handler:           http.HandlerFunc(fhttp.EchoHandler),
		Protocols:         &protos,
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
