package controlplane

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/meshbench/meshbench/harness/controlplane/istiocfg"
	"github.com/meshbench/meshbench/harness/kubeapi"
	"github.com/meshbench/meshbench/harness/measure"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/internal/ports"
	"github.com/meshbench/meshbench/mesh-under-test/xds"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// IstioVersion is the ISTIO_VERSION the simulated proxies announce: the
// release line of the pinned istio.io/istio revision tools/istiod builds
// (istiod gates features on it, as on a real sidecar's).
const IstioVersion = "1.30.0"

// istiodHint is what an unavailable istiod says.
const istiodHint = "build it with `make istiod` (docs/controlplane.md)"

func istiodBinary(o Options) (string, string) {
	if o.Istiod == "" {
		return "", "istiod unavailable: no pilot-discovery binary given; " + istiodHint
	}
	if st, err := os.Stat(o.Istiod); err != nil || st.IsDir() {
		return "", fmt.Sprintf("istiod unavailable: no pilot-discovery binary at %s; %s", o.Istiod, istiodHint)
	}
	// istiod needs an API server (see startIstiodPlane).
	if _, err := kubeapi.BinDir(); err != nil {
		return "", "istiod unavailable: " + err.Error()
	}
	return o.Istiod, ""
}

// istiodPlane runs pilot-discovery on files: the generated mesh written as
// ServiceEntries, VirtualServices, DestinationRules and Sidecars (package
// istiocfg); plaintext ADS on 127.0.0.1, no CA. istiod does not start
// without a Kubernetes client (its ServiceEntry controller reads namespaces
// from the config cluster), so it gets an empty API server of its own:
// etcd and kube-apiserver as local processes (package kubeapi), started
// before it and stopped after it.
type istiodPlane struct {
	*process
	kube               *kubeapi.Server
	in                 planeInput
	addr, http, metric string
	configDir          string
	want               []int // per proxy: keys its initial configuration holds
	hosts              map[string]string
	meta               []*structpb.Struct
	// The API server's CPU seconds at the first counters call (the
	// measured window's start), -1 before it.
	kubeCPU0 float64
}

func startIstiodPlane(ctx context.Context, in planeInput) (running, error) {
	dir := filepath.Join(in.dir, "istiod-"+in.size.Name())
	configDir := filepath.Join(dir, "config")
	if err := istiocfg.WriteAll(configDir, in.topo.mesh); err != nil {
		return nil, err
	}
	meshCfg, err := istiocfg.MeshConfig(configDir)
	if err != nil {
		return nil, err
	}
	meshPath := filepath.Join(dir, "mesh.yaml")
	if err := os.WriteFile(meshPath, meshCfg, 0o644); err != nil {
		return nil, fmt.Errorf("istiod mesh config: %w", err)
	}
	var addrs [3]string
	for i := range addrs {
		if addrs[i], err = ports.Free(); err != nil {
			return nil, err
		}
	}
	kube, err := startIstiodKube(ctx, dir)
	if err != nil {
		return nil, err
	}
	args := IstiodArgs(meshPath, filepath.Join(dir, "no-mesh-networks.yaml"), kube.Kubeconfig, addrs[0], addrs[1], addrs[2])
	p, err := startProcess(ctx, "istiod", in.bin, args, append(IstiodEnv(), in.spec.IstiodEnv...),
		filepath.Join(in.dir, "istiod-"+in.size.Name()+".log"), "http://"+addrs[1]+"/ready", in.spec.ConnectTimeout.Duration)
	if err != nil {
		_ = kube.Stop()
		return nil, err
	}
	ip := &istiodPlane{process: p, kube: kube, kubeCPU0: -1, in: in, addr: addrs[0], http: addrs[1], metric: addrs[2], configDir: configDir, hosts: map[string]string{}}
	for _, s := range in.topo.mesh.Services {
		ip.hosts[istiocfg.Host(s.Name)] = s.Name
	}
	for i := range in.size.Proxies {
		// Its initial configuration: a load assignment and a virtual host
		// per service it may call.
		ip.want = append(ip.want, 2*in.topo.egress(i))
		md, err := istiocfg.NodeMetadata(proxyID(i), in.topo.mesh.Proxies[i].Service, proxyIP(i), IstioVersion)
		if err != nil {
			ip.stop()
			return nil, err
		}
		ip.meta = append(ip.meta, md)
	}
	return ip, nil
}

// startIstiodKube starts istiod's API server: empty but for the
// namespaces istiod and the simulated proxies live in (istiod's leader
// election writes to its own).
func startIstiodKube(ctx context.Context, dir string) (*kubeapi.Server, error) {
	bin, err := kubeapi.BinDir()
	if err != nil {
		return nil, err
	}
	kdir := filepath.Join(dir, "kube")
	if err := os.MkdirAll(kdir, 0o755); err != nil {
		return nil, fmt.Errorf("istiod: %w", err)
	}
	kube, err := kubeapi.Start(ctx, kubeapi.Options{BinDir: bin, Dir: kdir, Namespaces: []string{istiodNamespace, istiocfg.Namespace}})
	if err != nil {
		return nil, fmt.Errorf("istiod's API server: %w", err)
	}
	return kube, nil
}

// istiodNamespace is istiod's own namespace.
const istiodNamespace = "istio-system"

// stop ends istiod, then its API server.
func (p *istiodPlane) stop() {
	p.process.stop()
	if err := p.kube.Stop(); err != nil {
		p.in.log.Warn("istiod's API server did not stop cleanly", "err", err)
	}
}

// IstiodArgs are pilot-discovery's flags: services and policy only from the
// ServiceEntries, VirtualServices, DestinationRules and Sidecars of the
// mesh config's configSources (files); the Kubernetes registry on the
// kubeconfig's API server, which holds no Service (istiod needs a
// Kubernetes client to start at all); plaintext xDS on grpc, /ready on
// http, metrics on monitoring, and the TLS listeners (secure xDS, webhooks)
// off.
func IstiodArgs(meshConfig, networks, kubeconfig, grpc, http, monitoring string) []string {
	return []string{"discovery",
		"--meshConfig", meshConfig, "--networksConfig", networks,
		"--registries=Kubernetes", "--kubeconfig", kubeconfig, "--grpcAddr", grpc, "--httpAddr", http, "--monitoringAddr", monitoring,
		"--secureGRPCAddr=", "--httpsAddr=", "--namespace", istiodNamespace, "--domain", istiocfg.DomainSuffix,
		"--log_output_level", "default:warn",
	}
}

// IstiodEnv turns off what needs a cluster or a CA: the CA server, the
// injection and validation webhooks' controllers.
func IstiodEnv() []string {
	return []string{"ENABLE_CA_SERVER=false", "POD_NAME=istiod-meshbench", "POD_NAMESPACE=istio-system",
		"PILOT_ENABLE_ANALYSIS=false", "VALIDATION_WEBHOOK_CONFIG_NAME=", "INJECTION_WEBHOOK_CONFIG_NAME="}
}

// proxyIP is a simulated proxy's address, outside the endpoints' range.
func proxyIP(i int) string { return fmt.Sprintf("10.255.%d.%d", (i>>8)&0xff, i&0xff) }

func (p *istiodPlane) pid() int { return p.cmd.Process.Pid }

// transport: istiod's plaintext xDS port (no CA here; see the caveats).
func (p *istiodPlane) transport() string { return ADSPlaintext }

func (p *istiodPlane) client(i int) (xds.Options, xdsconfig.Applier, error) {
	v := newIstioView(p.in.tr, i, p.hosts, p.in.topo.revOf)
	return xds.Options{Addr: p.addr, NodeID: istiocfg.NodeID(proxyID(i), proxyIP(i)), Metadata: p.meta[i], Observer: v,
		Protocol: xds.ProtocolSotW, BackoffMin: 50 * time.Millisecond, BackoffMax: time.Second}, v, nil
}

func (p *istiodPlane) key(c change) string { return viewKey(c.typeURL, serviceName(c.service)) }

func (p *istiodPlane) connected() bool { return p.in.tr.held(p.want) }

func (p *istiodPlane) write(c change) error {
	return istiocfg.WriteService(p.configDir, p.in.topo.mesh, serviceName(c.service))
}

func (p *istiodPlane) counters() (counters, error) {
	mf, err := measure.ScrapeFamilies(context.Background(), "http://"+p.metric+"/metrics")
	if err != nil {
		return counters{}, fmt.Errorf("istiod: %w", err)
	}
	conv := "-"
	if n := count(mf, "pilot_proxy_convergence_time"); n > 0 {
		conv = strconv.FormatFloat(sum(mf, "pilot_proxy_convergence_time")/n*1000, 'f', 1, 64)
	}
	labels := map[string]string{"cp_reported_mean_ms": conv}
	// istiod's API server is not istiod's cost, but it shares the cores:
	// its CPU over the window is kept beside istiod's, as a label.
	kubeCPU := p.kubeCPU()
	if p.kubeCPU0 < 0 {
		p.kubeCPU0 = kubeCPU
	} else {
		labels["api_server_cpu_s"] = strconv.FormatFloat(kubeCPU-p.kubeCPU0, 'f', 2, 64)
	}
	return counters{
		pushes: int64(sum(mf, "pilot_xds_pushes")),
		bytes:  int64(sum(mf, "pilot_xds_config_size_bytes")),
		nacks:  int64(sum(mf, "pilot_total_xds_rejects")),
		labels: labels,
	}, nil
}

// kubeCPU is etcd's and kube-apiserver's CPU seconds so far.
func (p *istiodPlane) kubeCPU() float64 {
	var cpu float64
	for name, pid := range p.kube.PIDs() {
		s, err := measure.NewProcProbe(name, results.RoleControlPlane, pid, measure.WithCgroupRoot("")).Sample(context.Background())
		if err == nil {
			cpu += s.CPUSeconds
		}
	}
	return cpu
}
