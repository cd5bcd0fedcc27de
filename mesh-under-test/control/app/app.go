package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
	"k8s.io/client-go/kubernetes"

	"github.com/meshbench/meshbench/mesh-under-test/control"
	"github.com/meshbench/meshbench/mesh-under-test/control/ca"
	"github.com/meshbench/meshbench/mesh-under-test/control/ca/kubeauth"
	"github.com/meshbench/meshbench/mesh-under-test/control/metrics"
	"github.com/meshbench/meshbench/mesh-under-test/control/policy"
	"github.com/meshbench/meshbench/mesh-under-test/control/registry"
	"github.com/meshbench/meshbench/mesh-under-test/control/server"
)

// Config is one meshcontrol instance.
type Config struct {
	MeshFile string // mesh file (services, proxies, policy)
	Listen   string // gRPC: ADS and CA
	Admin    string // HTTP: /ready, /metrics, /debug/pprof
	// Health, when set, is an HTTP address serving /ready only: the
	// kubelet's probe on the pod IP while Admin stays on loopback.
	Health string
	// Kube, when set, adds the Kubernetes registry and authenticates CA
	// callers with TokenReview (in addition to the bootstrap token).
	Kube           kubernetes.Interface
	KubeNamespaces []string
	// PolicyConfigMap ("namespace/name"), with Kube, is a ConfigMap whose
	// mesh.yaml key holds policy and proxies (the mesh file's win).
	PolicyConfigMap string
	// BootstrapToken is a mesh-wide CA token: its holder gets the
	// certificate of any proxy ID the mesh knows. NodeTokenSecret is the
	// per-node alternative: a proxy presents ca.NodeToken(secret, its ID)
	// and gets that ID's certificate only.
	BootstrapToken  string
	NodeTokenSecret string
	// TokenAudience, with Kube, is the audience TokenReview requires of a
	// service-account token (default "meshcontrol"): a token minted for
	// another audience (the API server's own) is refused.
	TokenAudience string
	CertTTL       time.Duration // cap on workload certificate lifetimes, default 1h
	// CADir, when set, persists the CA root (ca.Options.Dir).
	CADir string
	// TLS serves ADS and the CA over TLS with a certificate the CA issues
	// meshcontrol for TLSNames (proxies verify it against CADir's
	// root-cert.pem, so TLS needs CADir) and requires every ADS caller to
	// authenticate as its node (ca.NodeAuth).
	TLS      bool
	TLSNames []string
	Debounce time.Duration
	Logger   *slog.Logger
}

// Instance is a running meshcontrol.
type Instance struct {
	Controller *control.Controller
	Server     *server.Server
	Registry   *prometheus.Registry
	CA         *ca.CA

	grpcLis, adminLis net.Listener
	healthLis         net.Listener // nil without Config.Health
	cancel            context.CancelFunc
	done              chan struct{}
	mu                sync.Mutex
	err               error
}

// Addr is the gRPC address; AdminAddr the admin HTTP address.
func (i *Instance) Addr() string      { return i.grpcLis.Addr().String() }
func (i *Instance) AdminAddr() string { return i.adminLis.Addr().String() }

// HealthAddr is the --health address ("" when off).
func (i *Instance) HealthAddr() string {
	if i.healthLis == nil {
		return ""
	}
	return i.healthLis.Addr().String()
}

// Stop shuts the instance down and waits for it; it returns the first
// error the instance failed with, if any.
func (i *Instance) Stop() error {
	i.cancel()
	<-i.done
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.err
}

// Done is closed when the instance has stopped.
func (i *Instance) Done() <-chan struct{} { return i.done }

// Start brings an instance up; it returns once the first configuration is
// built and both listeners are open.
func Start(ctx context.Context, cfg Config) (*Instance, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.CertTTL == 0 {
		cfg.CertTTL = time.Hour
	}
	var sources []registry.Source
	if cfg.MeshFile != "" {
		f, err := registry.NewFile(cfg.MeshFile, cfg.Logger)
		if err != nil {
			return nil, err
		}
		sources = append(sources, f)
	}
	if cfg.Kube != nil {
		k := registry.NewKube(registry.KubeOptions{Client: cfg.Kube, Namespaces: cfg.KubeNamespaces, Logger: cfg.Logger})
		sources = append(sources, k)
		if cfg.PolicyConfigMap != "" {
			ns, name, ok := strings.Cut(cfg.PolicyConfigMap, "/")
			if !ok {
				return nil, fmt.Errorf("meshcontrol: policy ConfigMap %q: want namespace/name", cfg.PolicyConfigMap)
			}
			sources = append(sources, &policy.ConfigMap{Client: cfg.Kube, Namespace: ns, ConfigMapName: name, Logger: cfg.Logger})
		}
	}
	if len(sources) == 0 {
		return nil, errors.New("meshcontrol: need --mesh or a Kubernetes client")
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := metrics.New(reg)
	ctx, cancel := context.WithCancel(ctx)
	srv := server.New(ctx, server.Options{Logger: cfg.Logger, Metrics: m})
	ctl, err := control.New(control.Options{Logger: cfg.Logger, Metrics: m, Sources: sources, Server: srv, Debounce: cfg.Debounce})
	if err != nil {
		cancel()
		return nil, err
	}
	authority, err := ca.New(ca.Options{MaxTTL: cfg.CertTTL, Dir: cfg.CADir})
	if err != nil {
		cancel()
		return nil, err
	}
	auths := anyOf{}
	if cfg.BootstrapToken != "" {
		auths = append(auths, ca.BootstrapToken{Token: cfg.BootstrapToken, IdentityOf: ctl.IdentityOf})
	}
	if cfg.NodeTokenSecret != "" {
		auths = append(auths, ca.NodeTokens{Secret: cfg.NodeTokenSecret, IdentityOf: ctl.IdentityOf})
	}
	if cfg.Kube != nil {
		if cfg.TokenAudience == "" {
			cfg.TokenAudience = kubeauth.DefaultAudience
		}
		auths = append(auths, kubeauth.TokenReview{Client: cfg.Kube, Audiences: []string{cfg.TokenAudience}})
	}
	var auth ca.Authenticator = auths
	inst := &Instance{Controller: ctl, Server: srv, Registry: reg, CA: authority, cancel: cancel, done: make(chan struct{})}
	if inst.grpcLis, err = net.Listen("tcp", cfg.Listen); err != nil {
		cancel()
		return nil, fmt.Errorf("meshcontrol: listen %s: %w", cfg.Listen, err)
	}
	if inst.adminLis, err = net.Listen("tcp", cfg.Admin); err != nil {
		inst.grpcLis.Close()
		cancel()
		return nil, fmt.Errorf("meshcontrol: admin listen %s: %w", cfg.Admin, err)
	}
	gopts, err := grpcSecurity(cfg, authority, auth, ctl)
	if err != nil {
		inst.adminLis.Close()
		inst.grpcLis.Close()
		cancel()
		return nil, err
	}
	g := grpc.NewServer(append(gopts,
		grpc.MaxConcurrentStreams(100000),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
	)...)
	srv.Register(g)
	(&ca.Service{CA: authority, Auth: auth, Log: cfg.Logger, Metrics: m, Ready: ctl.Ready}).Register(g)
	admin := &http.Server{Handler: adminMux(ctl, reg), ReadHeaderTimeout: 5 * time.Second}
	health := &http.Server{Handler: healthMux(ctl), ReadHeaderTimeout: 5 * time.Second}
	if cfg.Health != "" {
		if inst.healthLis, err = net.Listen("tcp", cfg.Health); err != nil {
			inst.adminLis.Close()
			inst.grpcLis.Close()
			cancel()
			return nil, fmt.Errorf("meshcontrol: --health listen %s: %w", cfg.Health, err)
		}
	}

	var wg sync.WaitGroup
	fail := func(err error) {
		if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, grpc.ErrServerStopped) || errors.Is(err, http.ErrServerClosed) {
			return
		}
		inst.mu.Lock()
		if inst.err == nil {
			inst.err = err
		}
		inst.mu.Unlock()
		cancel()
	}
	wg.Add(3)
	go func() {
		defer wg.Done()
		fail(ctl.Run(ctx))
	}()
	go func() { defer wg.Done(); fail(g.Serve(inst.grpcLis)) }()
	go func() { defer wg.Done(); fail(admin.Serve(inst.adminLis)) }()
	if inst.healthLis != nil {
		wg.Add(1)
		go func() { defer wg.Done(); fail(health.Serve(inst.healthLis)) }()
	}
	go func() {
		<-ctx.Done()
		g.Stop()
		sctx, c := context.WithTimeout(context.Background(), 2*time.Second)
		defer c()
		admin.Shutdown(sctx)
		health.Shutdown(sctx)
	}()
	go func() { wg.Wait(); close(inst.done) }()
	select {
	case <-ctl.Built():
	case <-inst.done:
	}
	if ctx.Err() != nil {
		err := inst.Stop()
		if err == nil {
			err = ctx.Err()
		}
		return nil, err
	}
	cfg.Logger.Info("meshcontrol serving", "xds", inst.Addr(), "admin", inst.AdminAddr(), "tls", cfg.TLS)
	return inst, nil
}

func ready(ctl *control.Controller) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if !ctl.Ready() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	}
}

// healthMux serves /ready and nothing else (404 elsewhere).
func healthMux(ctl *control.Controller) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ready", ready(ctl))
	return mux
}

func adminMux(ctl *control.Controller, reg *prometheus.Registry) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/ready", ready(ctl))
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/heap", pprof.Index)
	return mux
}

// anyOf accepts a caller any of its authenticators accepts.
type anyOf []ca.Authenticator

func (a anyOf) Authenticate(ctx context.Context, token, node string) (string, error) {
	if len(a) == 0 {
		return "", fmt.Errorf("%w: the CA has no credentials configured (--bootstrap-token, --node-token-secret or --kubeconfig)", ca.ErrUnauthenticated)
	}
	var errs []error
	for _, x := range a {
		id, err := x.Authenticate(ctx, token, node)
		if err == nil {
			return id, nil
		}
		errs = append(errs, err)
	}
	return "", errors.Join(errs...)
}
