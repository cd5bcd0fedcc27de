package cli

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshbench/meshbench/harness/inject"
	"github.com/meshbench/meshbench/mesh-under-test/control/ca/kubeauth"
)

// The kind/kube commands register themselves here rather than in root.go's
// list, so that their files stand alone.

func newInjectCmd(e *env) *cobra.Command {
	var file, controlPlane string
	var cfg inject.Config
	cmd := &cobra.Command{
		Use:   "inject -f MANIFESTS.yaml",
		Short: "Add the meshproxy sidecar to annotated workloads of a manifest stream (like istioctl kube-inject)",
		Long: `Reads Kubernetes manifests (YAML or JSON, several documents) and adds the meshproxy
sidecar to every Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet or Job whose pod
template is annotated meshbench.io/inject: "true":
  meshbench.io/app-port: "8080"             inbound sidecar on 15006 -> 127.0.0.1:8080;
                                            Services in front of the pod are retargeted
  meshbench.io/outbound: "15001=app:8080"   outbound sidecar on 127.0.0.1:15001 -> app:8080
Other documents pass through unchanged.`,
		Example: `  meshbench inject -f app.yaml --image meshbench.local/meshproxy:0123abcd | kubectl apply -f -`,
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			var in []byte
			var err error
			if file == "-" {
				in, err = io.ReadAll(os.Stdin)
			} else {
				in, err = os.ReadFile(file)
			}
			if err != nil {
				return fmt.Errorf("-f %s: %w", file, err)
			}
			cfg.ControlPlane = controlPlane
			out, err := inject.Manifests(in, cfg)
			if err != nil {
				return err
			}
			_, err = e.streams.Out.Write(out)
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&file, "file", "f", "-", "manifests to inject (- for stdin)")
	fl.StringVar(&cfg.Image, "image", "", "meshproxy image (required; a pinned tag)")
	fl.Int32Var(&cfg.InboundPort, "inbound-port", 15006, "sidecar's inbound port")
	fl.Int32Var(&cfg.AdminPort, "admin-port", 15000, "sidecar's admin port on 127.0.0.1 (/ready, /metrics, /config_dump, /debug/pprof/)")
	fl.Int32Var(&cfg.HealthPort, "health-port", 15021, "sidecar's health port on 0.0.0.0, /ready only (the readiness probe)")
	fl.StringVar(&controlPlane, "control-plane", "", "meshcontrol's xDS address, e.g. meshcontrol.meshbench-system:15010")
	fl.StringVar(&cfg.TokenAudience, "ca-token-audience", kubeauth.DefaultAudience, "with --control-plane: the sidecar authenticates to meshcontrol's CA with a projected service-account token for this audience (meshcontrol's --token-audience; empty: none)")
	fl.IntVar(&cfg.Workers, "workers", 0, "GOMAXPROCS of the sidecar (0: default)")
	fl.StringArrayVar(&cfg.Args, "proxy-arg", nil, "extra meshproxy argument (repeatable)")
	_ = cmd.MarkFlagRequired("image")
	return cmd
}

func newInjectorCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "injector",
		Short: "The sidecar injector as a mutating admission webhook (serve it, or print its manifests)",
		Example: `  meshbench injector manifests --image meshbench.local/meshbench:TAG --sidecar-image meshbench.local/meshproxy:TAG | kubectl apply -f -
  kubectl label namespace demo meshbench.io/inject=enabled`,
	}
	var cfg inject.Config
	var listen, certFile, keyFile string
	serve := &cobra.Command{
		Use:   "serve",
		Short: "Serve the webhook (HTTPS, POST /inject) until interrupted",
		Example: `  # what the injector Pod of 'meshbench injector manifests' runs
  meshbench injector serve --image meshbench.local/meshproxy:TAG --tls-cert /tls/tls.crt --tls-key /tls/tls.key`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.Normalize(); err != nil {
				return err
			}
			mux := http.NewServeMux()
			mux.Handle("/inject", &inject.Webhook{Config: cfg, Log: e.log})
			srv := &http.Server{Addr: listen, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
			go func() {
				<-cmd.Context().Done()
				_ = srv.Close()
			}()
			e.log.Info("injector serving", "listen", listen, "sidecar", cfg.Image)
			if err := srv.ListenAndServeTLS(certFile, keyFile); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	fl := serve.Flags()
	fl.StringVar(&listen, "listen", "0.0.0.0:9443", "HTTPS address")
	fl.StringVar(&certFile, "tls-cert", "", "serving certificate (PEM)")
	fl.StringVar(&keyFile, "tls-key", "", "serving key (PEM)")
	fl.StringVar(&cfg.Image, "image", "", "meshproxy image to inject (required)")
	fl.StringVar(&cfg.ControlPlane, "control-plane", "", "meshcontrol's xDS address for the sidecars")
	_ = serve.MarkFlagRequired("image")

	var o inject.WebhookOptions
	manifests := &cobra.Command{
		Use:     "manifests",
		Short:   "Print the webhook's manifests (namespace, TLS Secret from a fresh CA, Service, Pod, MutatingWebhookConfiguration)",
		Example: `  meshbench injector manifests --image meshbench.local/meshbench:TAG --sidecar-image meshbench.local/meshproxy:TAG | kubectl apply -f -`,
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			out, err := inject.WebhookManifests(o)
			if err != nil {
				return err
			}
			_, err = io.WriteString(e.streams.Out, out)
			return err
		},
	}
	mf := manifests.Flags()
	mf.StringVar(&o.Namespace, "namespace", "meshbench-injector", "namespace of the injector")
	mf.StringVar(&o.Image, "image", "", "meshbench image that serves the webhook (required)")
	mf.StringVar(&o.Sidecar.Image, "sidecar-image", "", "meshproxy image to inject (required)")
	mf.StringVar(&o.Sidecar.ControlPlane, "control-plane", "", "meshcontrol's xDS address for the sidecars")
	cmd.AddCommand(serve, manifests)
	return cmd
}
