package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Main runs meshcontrol with the process's arguments and exits.
func Main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := ExitCode(Run(ctx, os.Args[1:], os.Stderr), os.Stderr)
	stop()
	os.Exit(code)
}

// ExitCode reports Run's error and maps it to the process exit code: 0 on
// success and after --help (the flag package returns flag.ErrHelp once it
// has printed the usage), 1 otherwise.
func ExitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "meshcontrol:", err)
	return 1
}

// Usage is the text of --help above the flags.
const Usage = `meshcontrol is the mesh's control plane: a service registry (a mesh file, or Kubernetes),
mesh policy, xDS over ADS to every meshproxy, and a CA for workload certificates.
See docs/controlplane.md.

Usage:
  meshcontrol [flags]

Examples:
  # the local platform's control plane: a mesh file, watched for changes
  meshcontrol --mesh mesh.yaml --listen 127.0.0.1:15010 --admin 127.0.0.1:15014 --bootstrap-token secret

  # ADS and the CA over TLS (proxies: meshproxy --xds-ca /var/lib/meshcontrol/root-cert.pem), each proxy its own token
  meshcontrol --mesh mesh.yaml --tls --ca-dir /var/lib/meshcontrol --node-token-secret-file /var/lib/meshcontrol/secret

  # in a cluster: Services and EndpointSlices of two namespaces, policy from a ConfigMap
  meshcontrol --kubeconfig in-cluster --namespaces demo,bench --policy-configmap meshbench/mesh --bootstrap-token-file /var/run/token

Flags:
`

// Run parses args and serves until ctx ends.
func Run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("meshcontrol", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), Usage)
		fs.PrintDefaults()
	}
	var (
		cfg        Config
		kubeconfig = fs.String("kubeconfig", "", "kubeconfig for the Kubernetes registry and TokenReview (\"in-cluster\" for the pod's service account)")
		namespaces = fs.String("namespaces", "", "comma-separated namespaces to watch (default all)")
		policyCM   = fs.String("policy-configmap", "", "namespace/name of a ConfigMap whose mesh.yaml holds policy and proxies (with --kubeconfig)")
		tokenFile  = fs.String("bootstrap-token-file", "", "file holding the bootstrap token proxies present to the CA")
		secretFile = fs.String("node-token-secret-file", "", "file holding the node token secret (see --node-token-secret)")
		level      = fs.String("log-level", "info", "debug, info, warn or error")
		tlsNames   = fs.String("tls-names", strings.Join(DefaultTLSNames, ","), "with --tls: comma-separated DNS names and IPs of meshcontrol's serving certificate (the --listen host is added)")
	)
	fs.StringVar(&cfg.MeshFile, "mesh", "", "mesh file (services, proxies, policy); watched for changes")
	fs.StringVar(&cfg.Listen, "listen", "127.0.0.1:15010", "gRPC address for ADS and the CA")
	fs.StringVar(&cfg.Admin, "admin", "127.0.0.1:15014", "admin HTTP address (/ready, /metrics, /debug/pprof)")
	fs.StringVar(&cfg.Health, "health", "", "HTTP address serving only /ready, for a kubelet probe on the pod IP while --admin stays on loopback (default off)")
	fs.StringVar(&cfg.BootstrapToken, "bootstrap-token", os.Getenv("MESH_BOOTSTRAP_TOKEN"), "bootstrap token proxies present to the CA (default $MESH_BOOTSTRAP_TOKEN)")
	fs.StringVar(&cfg.NodeTokenSecret, "node-token-secret", os.Getenv("MESH_NODE_TOKEN_SECRET"), "per-node CA tokens: a proxy presents hex(HMAC-SHA256(secret, label+node ID)) and gets that node's certificate only (default $MESH_NODE_TOKEN_SECRET)")
	fs.StringVar(&cfg.TokenAudience, "token-audience", "meshcontrol", "audience TokenReview requires of service-account tokens (with --kubeconfig)")
	fs.DurationVar(&cfg.CertTTL, "cert-ttl", time.Hour, "cap on workload certificate lifetimes: a request for longer gets this")
	fs.StringVar(&cfg.CADir, "ca-dir", "", "directory persisting the CA root (root-cert.pem, root-key.pem, 0600): loaded if present, else created; default: a fresh root per start")
	fs.BoolVar(&cfg.TLS, "tls", false, "serve ADS and the CA over TLS (a certificate from the mesh CA; needs --ca-dir, whose root-cert.pem proxies verify with meshproxy --xds-ca) and require every ADS stream to authenticate as its node (node token or workload certificate)")
	fs.DurationVar(&cfg.Debounce, "debounce", 5*time.Millisecond, "quiet period before a change is translated")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lv}))
	if *tlsNames != "" {
		cfg.TLSNames = strings.Split(*tlsNames, ",")
	}
	if *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			return fmt.Errorf("--bootstrap-token-file: %w", err)
		}
		cfg.BootstrapToken = strings.TrimSpace(string(b))
	}
	if *secretFile != "" {
		b, err := os.ReadFile(*secretFile)
		if err != nil {
			return fmt.Errorf("--node-token-secret-file: %w", err)
		}
		cfg.NodeTokenSecret = strings.TrimSpace(string(b))
	}
	if *kubeconfig != "" {
		var rc *rest.Config
		var err error
		if *kubeconfig == "in-cluster" {
			rc, err = rest.InClusterConfig()
		} else {
			rc, err = clientcmd.BuildConfigFromFlags("", *kubeconfig)
		}
		if err != nil {
			return fmt.Errorf("--kubeconfig: %w", err)
		}
		if cfg.Kube, err = kubernetes.NewForConfig(rc); err != nil {
			return fmt.Errorf("--kubeconfig: %w", err)
		}
		cfg.PolicyConfigMap = *policyCM
		if *namespaces != "" {
			cfg.KubeNamespaces = strings.Split(*namespaces, ",")
		}
	}
	inst, err := Start(ctx, cfg)
	if err != nil {
		return err
	}
	<-inst.Done()
	return inst.Stop()
}
