package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/admin"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/config"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/dataplane"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/inject"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/startpages"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/telemetry"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

type flags struct {
	maxConns                  int
	id, adminAddr, configFile string
	healthAddr                string
	outbound, inbound         []config.Mapping
	workers                   int
	tls                       config.StaticTLS
	inject                    inject.Config
	logLevel                  string
	xdsAddr, xdsProtocol      string
	xdsToken, xdsTokenFile    string
	xdsCA                     string
	xdsServerName             string
	certTTL                   time.Duration
	releaseStartPages         bool
	gogc                      int
	h2Fast                    bool
	requestMetrics            bool
}

func parseFlags(args []string, stderr io.Writer) (*flags, error) {
	f := &flags{}
	fs := flag.NewFlagSet("meshproxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&f.id, "id", "meshproxy", "proxy name (source label of outbound metrics)")
	fs.StringVar(&f.adminAddr, "admin", "127.0.0.1:15000", "admin listen address (/ready /metrics /config_dump /debug/pprof/)")
	fs.StringVar(&f.healthAddr, "health", "", "health listen address serving only /ready, for a kubelet probe on the pod IP while --admin stays on loopback (default off)")
	fs.StringVar(&f.configFile, "config", "", "Envoy-style static_resources YAML/JSON file")
	mapping := func(dst *[]config.Mapping) func(string) error {
		return func(s string) error {
			m, err := config.ParseMapping(s)
			if err == nil {
				*dst = append(*dst, m)
			}
			return err
		}
	}
	fs.Func("outbound", "LISTEN_ADDR=UPSTREAM_ADDR outbound relay (repeatable)", mapping(&f.outbound))
	fs.Func("inbound", "LISTEN_ADDR=UPSTREAM_ADDR inbound relay (repeatable)", mapping(&f.inbound))
	fs.IntVar(&f.workers, "workers", 0, "GOMAXPROCS (0: leave as is)")
	fs.IntVar(&f.gogc, "gogc", defaultGOGC, "GC target percent, as GOGC (the GOGC environment variable, when set, wins; -1: GC off)")
	fs.BoolVar(&f.releaseStartPages, "release-start-pages", true, "once ready, unmap the binary's pages touched only while starting (they stay in the page cache; RSS then shows the working set)")
	fs.BoolVar(&f.requestMetrics, "request-metrics", true, "record per-request metrics (requests, duration, sizes by direction/source/destination/code); false keeps only the proxy's own counters (a telemetry-cost variant, like Envoy's stats_matcher rejecting Istio's request metrics)")
	fs.BoolVar(&f.h2Fast, "h2-fast", true, "serve HTTP/2 (h2c, TLS h2, gRPC) on the lean path (x/net/http2's Framer and hpack, one reader goroutine per connection, no goroutine per stream); false: x/net/http2's Server and Transport, the fallback (docs/proxy.md says when). Connections whose routes reach an HTTP/1.1 cluster take the x/net path either way")
	fs.IntVar(&f.maxConns, "max-connections", 0, "cap on open downstream connections; more are closed on accept (0: 50000)")
	fs.StringVar(&f.tls.CertFile, "tls-cert", "", "workload certificate PEM (static mode mTLS)")
	fs.StringVar(&f.tls.KeyFile, "tls-key", "", "workload key PEM")
	fs.StringVar(&f.tls.CAFile, "tls-ca", "", "trust bundle PEM")
	fs.StringVar(&f.tls.Mode, "tls-mode", config.ModeStrict, "inbound mTLS mode: strict | permissive")
	fs.DurationVar(&f.inject.Spin, "inject-spin", 0, "INJECTION (gate validation): busy CPU spin per request, e.g. 5us")
	fs.DurationVar(&f.inject.Delay, "inject-delay", 0, "INJECTION: sleep on a fraction of requests")
	fs.Float64Var(&f.inject.DelayFraction, "inject-delay-fraction", 0, "INJECTION: fraction of requests delayed (0..1)")
	fs.Int64Var(&f.inject.RetainBytes, "inject-retain-bytes", 0, "INJECTION: retain this many heap bytes")
	fs.Float64Var(&f.inject.ErrorFraction, "inject-error-fraction", 0, "INJECTION: answer 503 to this fraction of requests (0..1), e.g. 0.02")
	fs.Int64Var(&f.inject.RetainPerRequest, "inject-retain-per-request", 0, "INJECTION: keep this many more heap bytes for every request (a leak, capped at 512 MiB)")
	fs.IntVar(&f.inject.UpstreamHeaders, "inject-upstream-headers", 0, "INJECTION: add this many headers to every HTTP/1.1 request forwarded upstream (the app must parse them)")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug | info | warn | error")
	fs.StringVar(&f.xdsAddr, "xds", "", "meshcontrol ADS address (host:port); the node id is --id")
	fs.StringVar(&f.xdsProtocol, "xds-protocol", "delta", "xDS variant: delta | sotw")
	fs.StringVar(&f.xdsToken, "xds-token", os.Getenv("MESH_BOOTSTRAP_TOKEN"), "CA bootstrap token: with it, the proxy gets workload certificates from meshcontrol (default $MESH_BOOTSTRAP_TOKEN)")
	fs.StringVar(&f.xdsTokenFile, "xds-token-file", "", "file holding the CA token (a service-account token on Kubernetes)")
	fs.StringVar(&f.xdsCA, "xds-ca", "", "trust bundle (PEM) for meshcontrol's certificate: ADS and the CA over TLS (meshcontrol --tls; its --ca-dir root-cert.pem), ADS authenticated with the CA token")
	fs.StringVar(&f.xdsServerName, "xds-server-name", "", "with --xds-ca: the name meshcontrol's certificate must carry (default: the --xds host); on Kubernetes the sidecar dials the Service's ClusterIP and verifies the name meshcontrol")
	fs.DurationVar(&f.certTTL, "cert-ttl", 0, "workload certificate lifetime to ask meshcontrol's CA for, renewed at half of it (0: the CA's default; short values rotate certificates under load)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := f.inject.Validate(); err != nil {
		return nil, err
	}
	return f, nil
}

// source picks where configuration comes from.
func (f *flags) source(log *slog.Logger) (xdsconfig.Source, error) {
	static := len(f.outbound)+len(f.inbound) > 0
	switch {
	case f.xdsAddr != "" && (static || f.configFile != ""):
		return nil, errors.New("use either --xds or static configuration (--config, --outbound/--inbound), not both")
	case f.xdsServerName != "" && f.xdsCA == "":
		return nil, errors.New("--xds-server-name needs --xds-ca: it names the certificate meshcontrol serves over TLS")
	case f.xdsAddr != "":
		return &xdsSource{addr: f.xdsAddr, node: f.id, protocol: f.xdsProtocol, token: f.xdsToken, tokenFile: f.xdsTokenFile, caFile: f.xdsCA, serverName: f.xdsServerName, certTTL: f.certTTL, log: log}, nil
	case f.configFile != "" && static:
		return nil, errors.New("use either --config or --outbound/--inbound, not both")
	case f.configFile != "":
		return &config.PollSource{Log: log, Files: []string{f.configFile},
			Load: func() (xdsconfig.Resources, error) { return config.ParseFile(f.configFile) }}, nil
	case static:
		var tls *config.StaticTLS
		if f.tls.CertFile != "" || f.tls.KeyFile != "" || f.tls.CAFile != "" {
			if f.tls.CertFile == "" || f.tls.KeyFile == "" || f.tls.CAFile == "" {
				return nil, errors.New("--tls-cert, --tls-key and --tls-ca go together")
			}
			t := f.tls
			tls = &t
		}
		return &config.PollSource{Log: log, Load: func() (xdsconfig.Resources, error) {
			return config.Static(f.outbound, f.inbound, tls)
		}}, nil
	default:
		return nil, errors.New("no configuration: give --outbound/--inbound or --config")
	}
}

// Run runs the proxy until ctx ends (then drains and returns nil).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})).With("proxy", f.id)
	if f.releaseStartPages {
		releaseInitPages(log)
	}
	if f.workers > 0 {
		runtime.GOMAXPROCS(f.workers)
	}
	if pct, ok := gcPercent(os.Getenv("GOGC"), f.gogc); ok {
		debug.SetGCPercent(pct)
	}
	var inj *inject.Injector
	if f.inject.Enabled() {
		log.Warn("!!! FAULT INJECTION ENABLED: this proxy is deliberately slowed down (gate validation only) !!!",
			"injection", f.inject.String())
		inj = inject.New(f.inject)
	}
	src, err := f.source(log)
	if err != nil {
		return err
	}
	metrics := telemetry.NewMetrics()
	if !f.requestMetrics {
		metrics.DisableRequestMetrics()
	}
	p := dataplane.New(dataplane.Options{ID: f.id, Log: log, Metrics: metrics, Inject: inj, MaxConnections: f.maxConns, H2XNet: !f.h2Fast,
		AccessLog: slog.New(slog.NewJSONHandler(stdout, nil))})

	adminLn, err := net.Listen("tcp", f.adminAddr)
	if err != nil {
		return fmt.Errorf("admin listener: %w", err)
	}
	adminSrv := &http.Server{Handler: admin.Handler(p, metrics.Registry), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = adminSrv.Serve(adminLn) }()
	defer adminSrv.Close()
	if f.healthAddr != "" {
		healthLn, err := net.Listen("tcp", f.healthAddr)
		if err != nil {
			return fmt.Errorf("--health listener: %w", err)
		}
		healthSrv := &http.Server{Handler: admin.HealthHandler(p), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = healthSrv.Serve(healthLn) }()
		defer healthSrv.Close()
		log.Info("health listener", "addr", healthLn.Addr().String())
	}
	log.Info("meshproxy starting", "admin", adminLn.Addr().String(), "gomaxprocs", runtime.GOMAXPROCS(0))

	srcCtx, cancelSrc := context.WithCancel(ctx)
	defer cancelSrc()
	srcErr := make(chan error, 1)
	go func() { srcErr <- src.Run(srcCtx, p) }()
	if f.releaseStartPages {
		go releaseWhenReady(srcCtx, p, log)
	}

	select {
	case <-ctx.Done():
	case err = <-srcErr:
		if err != nil {
			_ = adminSrv.Close()
			_ = p.Shutdown(context.Background())
			return fmt.Errorf("configuration: %w", err)
		}
		<-ctx.Done()
	}
	log.Info("shutting down")
	cancelSrc()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Shutdown(sctx); err != nil {
		log.Warn("forced shutdown", "err", err)
	}
	_ = adminSrv.Shutdown(sctx)
	return nil
}

// startSettle is how long after the first ready the start-up pages are
// released: ready already means the first configuration (and its
// certificates) is applied; a short pause lets the admin server's first
// answers pass, and it stays well inside the shortest warm-up the harness
// uses (1 s), so a measured window never sees the pages before release.
const startSettle = 500 * time.Millisecond

// releaseWhenReady drops the binary's start-up pages from the resident set
// once the proxy has been ready for startSettle (proxy/startpages).
func releaseWhenReady(ctx context.Context, p *dataplane.Proxy, log *slog.Logger) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !p.Ready() {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
	select {
	case <-ctx.Done():
		return
	case <-time.After(startSettle):
	}
	n, err := startpages.Release()
	if err != nil {
		log.Warn("release start-up pages", "err", err)
		return
	}
	log.Info("released start-up pages of the binary", "resident_bytes", n)
}

// releaseInitPages drops the binary's pages that package initialisation
// touched (every package's init function and registry, the proto
// descriptors: about 16 MB of file pages, nearly all of text and rodata
// through the kernel's 64 KB fault-around) before the first configuration
// is compiled. Without it, the first configuration's pages pile on top of
// them and the process's RSS high-water mark (the harness's peak RSS) is
// set there; with it, the peak is the larger of the two phases, not their
// union. The pages stay in the page cache: those used again come back by
// minor faults.
func releaseInitPages(log *slog.Logger) {
	n, err := startpages.Release()
	if err != nil {
		log.Warn("release package-init pages", "err", err)
		return
	}
	log.Debug("released package-init pages of the binary", "resident_bytes", n)
}

// defaultGOGC halves the heap's headroom over Go's default of 100: at
// sidecar rates (1000 rps) the live heap is a few MB, so GC cycles stay
// cheap, and an h2 proxy's anonymous memory went from 10.5-11.0 to
// 8.4-9.0 MB with no CPU per request difference beyond the noise
// (docs/proxy.md).
const defaultGOGC = 50

// gcPercent is the GC percent to set: none when the GOGC environment
// variable is set (the runtime has applied it; an operator's choice wins).
func gcPercent(env string, flagPct int) (int, bool) {
	if env != "" {
		return 0, false
	}
	return flagPct, true
}
