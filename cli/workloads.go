package cli

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/meshbench/meshbench/harness/graph"
	"github.com/meshbench/meshbench/harness/load"
	"github.com/meshbench/meshbench/harness/refproxy"
)

func newLoadgenCmd(e *env) *cobra.Command {
	var listen string
	cmd := &cobra.Command{
		Use:     "loadgen --listen ADDR",
		Short:   "Run the load client (fortio) behind a small JSON API (a workload the platforms start)",
		Example: `  meshbench loadgen --listen 127.0.0.1:9080`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("--listen %s: %w", listen, err)
			}
			return load.NewServer(e.log).Serve(cmd.Context(), ln)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:9080", "address of the load client's API")
	return cmd
}

func newEchoCmd(*env) *cobra.Command {
	var listen, protocol string
	var failStatus int
	cmd := &cobra.Command{
		Use:   "echo --listen ADDR",
		Short: "Run the app of every lane: fortio's echo (HTTP/1.1 and h2c), gRPC ping, or TCP echo",
		Long: `Run the app of every lane: fortio's echo (HTTP/1.1 and h2c), gRPC ping, or TCP echo.

The HTTP echo answers every request with --fail-status after SIGUSR1 and echoes
again after SIGUSR2: a resilience scenario's fail fault turns one replica of
three into a failing endpoint this way.`,
		Example: `  meshbench echo --listen 127.0.0.1:8080
  curl -d hello http://127.0.0.1:8080/   # answers with the body it was sent
  meshbench echo --listen 127.0.0.1:8081 --protocol tcp`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if failStatus < 500 || failStatus > 599 {
				return usageError("--fail-status %d: want a 5xx status", failStatus)
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("--listen %s: %w", listen, err)
			}
			if !load.HTTPEcho(protocol) {
				return load.ServeApp(cmd.Context(), ln, protocol)
			}
			sw := &load.FailSwitch{}
			sigs := make(chan os.Signal, 4)
			signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGUSR2)
			defer signal.Stop(sigs)
			go func() {
				for s := range sigs {
					if s == syscall.SIGUSR1 {
						sw.Fail(failStatus)
					} else {
						sw.Heal()
					}
				}
			}()
			return load.ServeSwitchedEcho(cmd.Context(), ln, sw)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "address to serve on")
	cmd.Flags().StringVar(&protocol, "protocol", "http1", "what to serve: http1 or h2 (fortio's echo, both at once), grpc (fortio's Ping service), tcp (byte echo)")
	cmd.Flags().IntVar(&failStatus, "fail-status", 503, "the status the HTTP echo answers between SIGUSR1 and SIGUSR2")
	return cmd
}

func newRefproxyCmd(*env) *cobra.Command {
	var listen, upstream, tlsCert, tlsKey, tlsCA string
	var inbound, h2 bool
	cmd := &cobra.Command{
		Use:     "refproxy --listen ADDR --upstream ADDR",
		Short:   "Run Go's stock httputil.ReverseProxy with a pooled transport (the httputil reference lane)",
		Example: `  meshbench refproxy --listen 127.0.0.1:15001 --upstream 127.0.0.1:8080`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("--listen %s: %w", listen, err)
			}
			var o refproxy.Options
			if tlsCert != "" {
				if o, err = refproxy.MTLSOptions(tlsCert, tlsKey, tlsCA, inbound); err != nil {
					return err
				}
			}
			o.HTTP2 = h2
			return refproxy.ServeWith(cmd.Context(), ln, upstream, o)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:15001", "address to listen on")
	cmd.Flags().StringVar(&upstream, "upstream", "", "upstream host:port (required)")
	cmd.Flags().StringVar(&tlsCert, "tls-cert", "", "mTLS case: certificate PEM (with --tls-key, --tls-ca)")
	cmd.Flags().StringVar(&tlsKey, "tls-key", "", "mTLS case: key PEM")
	cmd.Flags().StringVar(&tlsCA, "tls-ca", "", "mTLS case: CA PEM")
	cmd.Flags().BoolVar(&inbound, "inbound", false, "mTLS case: terminate mTLS (server side) instead of originating it")
	cmd.Flags().BoolVar(&h2, "h2", false, "speak HTTP/2 to the upstream (h2c, or h2 over TLS): the h2 case")
	_ = cmd.MarkFlagRequired("upstream")
	return cmd
}

func newGraphsvcCmd(*env) *cobra.Command {
	var listen, spec string
	cmd := &cobra.Command{
		Use:   "graphsvc --listen ADDR --spec JSON",
		Short: "Run one service of an app scenario's service graph (a workload the platforms start)",
		Long: `Run one service of a service graph. --spec is the service's part of the graph as JSON:
{"name":..., "response_bytes":N, "error_rate":0..1, "script":[steps], "downstreams":{"callee":"http://host:port"}}
where a step is {"sleep":NS} | {"burn":NS} | {"call":{"service":..., "request_bytes":N, "probability":0..100}} |
{"concurrent":[steps]}; a downstream written grpc://host:port is called over gRPC. GET /stats answers the service's request and per-callee call counters.`,
		Example: `  # reviews of Bookinfo: 50us of CPU, 1 KB answers, then a call to ratings
  meshbench graphsvc --listen 127.0.0.1:9082 --spec '{"name":"reviews","response_bytes":1024,"script":[{"burn":50000},{"call":{"service":"ratings"}}],"downstreams":{"ratings":"http://127.0.0.1:9083"}}'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var o graph.Options
			dec := json.NewDecoder(strings.NewReader(spec))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&o); err != nil {
				return fmt.Errorf("--spec: %w", err)
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("--listen %s: %w", listen, err)
			}
			return graph.Serve(cmd.Context(), ln, o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&listen, "listen", "127.0.0.1:8080", "address to serve on")
	fl.StringVar(&spec, "spec", `{"name":"svc"}`, "the service as JSON (see above)")
	return cmd
}

func newVersionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version (also: meshbench --version)",
		Example: `  meshbench version`,
		Args:    cobra.NoArgs,
		Run:     func(*cobra.Command, []string) { fmt.Fprintln(e.streams.Out, "meshbench", Version) },
	}
}

// Version is set at build time with -ldflags "-X ...cli.Version=...".
var Version = "dev"
