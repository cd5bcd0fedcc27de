package controlplane

import (
	"context"
	"path/filepath"
	"strconv"
	"time"

	"github.com/meshbench/meshbench/mesh-under-test/xds"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

func meshcontrolBinary(o Options) (string, string) {
	if o.Meshcontrol == "" {
		return "", "no meshcontrol binary given"
	}
	return o.Meshcontrol, ""
}

// meshcontrolPlane runs meshcontrol on the mesh file; a change rewrites
// the whole file, whose revision meshcontrol stamps into every version.
type meshcontrolPlane struct {
	*meshcontrol
	in   planeInput
	path string
}

func startMeshcontrolPlane(ctx context.Context, in planeInput) (running, error) {
	// JSON (which is YAML) because re-encoding thousands of services as
	// YAML on every change would make the driver, not meshcontrol, the
	// bottleneck.
	path := filepath.Join(in.dir, "mesh-"+in.size.Name()+".json")
	if err := in.topo.mesh.WriteFile(path); err != nil {
		return nil, err
	}
	mc, err := startMeshcontrol(ctx, in.bin, path, in.dir, in.spec.MeshcontrolEnv, in.spec.ADSTransport)
	if err != nil {
		return nil, err
	}
	return &meshcontrolPlane{meshcontrol: mc, in: in, path: path}, nil
}

func (m *meshcontrolPlane) pid() int { return m.cmd.Process.Pid }

func (m *meshcontrolPlane) client(i int) (xds.Options, xdsconfig.Applier, error) {
	o, err := m.secure(proxyID(i), xds.Options{Addr: m.addr, NodeID: proxyID(i), Observer: observer{m.in.tr, i}, BackoffMin: 50 * time.Millisecond, BackoffMax: time.Second})
	if err != nil {
		return xds.Options{}, nil, err
	}
	return o, nopApplier{}, nil
}

func (m *meshcontrolPlane) transport() string { return m.in.spec.ADSTransport }

func (m *meshcontrolPlane) key(c change) string { return c.typeURL }

func (m *meshcontrolPlane) connected() bool {
	return m.in.tr.minAcked(typeEndpoint) >= 1 && m.in.tr.minAcked(typeRoute) >= 1
}

func (m *meshcontrolPlane) write(change) error { return m.in.topo.mesh.WriteFile(m.path) }

func (m *meshcontrolPlane) counters() (counters, error) {
	mf, err := m.scrape()
	if err != nil {
		return counters{}, err
	}
	return counters{
		pushes: int64(sum(mf, "meshcontrol_xds_pushes_total")),
		bytes:  int64(sum(mf, "meshcontrol_xds_push_bytes_total")),
		nacks:  int64(sum(mf, "meshcontrol_xds_nacks_total")),
		labels: map[string]string{
			"cp_reported_p99_ms":     strconv.FormatFloat(quantile(mf, "meshcontrol_convergence_quantile_seconds", 0.99)*1000, 'f', 1, 64),
			"cp_convergence_timeout": strconv.FormatFloat(sum(mf, "meshcontrol_convergence_timeouts_total"), 'f', 0, 64),
		},
	}, nil
}
