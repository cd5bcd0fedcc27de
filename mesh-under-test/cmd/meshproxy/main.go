// Command meshproxy is the mesh's sidecar proxy. See docs/proxy.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := exitCode(Run(ctx, os.Args[1:], os.Stdout, os.Stderr), os.Stderr)
	stop()
	os.Exit(code)
}

// exitCode reports Run's error and maps it to the process exit code: 0 on
// success and after --help (the flag package returns flag.ErrHelp once it
// has printed the usage), 1 otherwise.
func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "meshproxy:", err)
	return 1
}

// usage is the text of --help above the flags.
const usage = `meshproxy is the mesh's sidecar proxy: outbound and inbound listeners, configured by
flags, an Envoy-style static file, or meshcontrol over xDS. See docs/proxy.md.

Usage:
  meshproxy [flags]

Examples:
  # a static outbound relay, admin on 15000
  meshproxy --id client --admin 127.0.0.1:15000 --outbound 127.0.0.1:15001=127.0.0.1:8080

  # configured by meshcontrol over ADS (certificates from its CA with the token)
  MESH_BOOTSTRAP_TOKEN=secret meshproxy --id client-1 --xds 127.0.0.1:15010

  # the same against meshcontrol --tls: meshcontrol verified, ADS authenticated with the token
  MESH_BOOTSTRAP_TOKEN=secret meshproxy --id client-1 --xds 127.0.0.1:15010 --xds-ca /var/lib/meshcontrol/root-cert.pem

  # an Envoy-style static_resources file
  meshproxy --id edge --config proxy.yaml --workers 2

Flags:
`
