package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"

	"github.com/meshbench/meshbench/harness/platform"
	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/internal/ports"
	"github.com/meshbench/meshbench/mesh-under-test/control/ca"
	"github.com/meshbench/meshbench/mesh-under-test/meshconfig"
)

// meshSidecar runs the mesh under test: meshcontrol, and meshproxy in each
// position configured entirely over xDS (ADS) from it, with workload
// certificates from meshcontrol's CA for the mTLS case. Without a
// meshcontrol binary it falls back to meshproxy's static flags.
var meshSidecar = sidecar{setup: meshSetup, start: meshStart, replicas: true}

// meshLane is where a topology's meshcontrol listens.
type meshLane struct {
	xds   string // meshcontrol's gRPC address; "" in static mode
	token string // node token secret: meshcontrol derives per-node CA tokens from it
	tls   bool   // ADS and the CA over TLS, every proxy authenticated (meshcontrol --tls)
	root  string // meshcontrol's root-cert.pem: proxies verify meshcontrol's TLS certificate with it
	admin string // meshcontrol's admin listener (/metrics)
	// file is the mesh file meshcontrol watches and cfg what it holds: a
	// graceful restart rewrites it (topology.mu guards cfg).
	file string
	cfg  *meshconfig.Mesh
}

func meshSetup(ctx context.Context, t *topology, spec platform.Spec, sides []side) (*results.MeshFeatures, error) {
	f := withBinarySize(&results.MeshFeatures{Proxy: "meshproxy", MTLS: spec.Case.MTLS, Telemetry: spec.Mesh.Telemetry,
		Workers: spec.Mesh.Workers}, t.p.bins.Meshproxy)
	if t.p.bins.Meshcontrol == "" {
		if len(t.replicas) > 0 {
			return nil, fmt.Errorf("app replicas need meshcontrol (the proxies' static flags take one upstream)")
		}
		if spec.Mesh.AccessLogPercent > 0 || spec.Mesh.Tracing != nil {
			return nil, fmt.Errorf("access logs and tracing need meshcontrol (the proxies' static flags configure neither)")
		}
		return f, nil
	}
	o := meshconfig.LaneOptions{Protocol: platform.MeshProtocol(spec.Case.Protocol), MTLS: spec.Case.MTLS, Revision: 1, Replicas: t.replicas}
	var client, server *side
	for i := range sides {
		if sides[i].Inbound {
			server = &sides[i]
		} else {
			client = &sides[i]
		}
	}
	switch {
	case client != nil && server != nil:
		o.Mode, o.ClientOutbound, o.ServerInbound, o.App = meshconfig.ModeBoth, client.Listen, server.Listen, server.Upstream
	case client != nil:
		o.Mode, o.ClientOutbound, o.App = meshconfig.ModeClientOnly, client.Listen, client.Upstream
	case server != nil:
		o.Mode, o.ServerInbound, o.App = meshconfig.ModeServerOnly, server.Listen, server.Upstream
	}
	if client != nil {
		o.ClientProxyID = client.Name
	}
	if server != nil {
		o.ServerProxyID = server.Name
	}
	mesh, err := meshconfig.Lane(o)
	if err != nil {
		return nil, err
	}
	if p := spec.Mesh.Policy; p != nil {
		mesh.Policy.Destinations = append(mesh.Policy.Destinations, p.Destinations...)
		mesh.Policy.Routes = append(mesh.Policy.Routes, p.Routes...)
		mesh.Normalize()
	}
	withTelemetry(mesh, spec.Mesh)
	if t.mesh, err = startMeshcontrol(ctx, t, mesh); err != nil {
		return nil, err
	}
	f.XDS = true
	// Added beside the binary size withBinarySize recorded (replacing the
	// map lost it for every lane on meshcontrol).
	if f.Extra == nil {
		f.Extra = map[string]string{}
	}
	f.Extra["control_plane"] = "meshcontrol"
	return f, nil
}

// startMeshcontrol writes the topology's mesh file and starts meshcontrol
// serving it, measured as the control plane.
func startMeshcontrol(ctx context.Context, t *topology, mesh *meshconfig.Mesh) (*meshLane, error) {
	dir, err := t.dir()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "mesh.yaml")
	if err := mesh.WriteFile(path); err != nil {
		return nil, err
	}
	tok := make([]byte, 16)
	if _, err := rand.Read(tok); err != nil {
		return nil, err
	}
	caDir := filepath.Join(dir, "meshcontrol-ca")
	lane := &meshLane{token: hex.EncodeToString(tok), root: filepath.Join(caDir, ca.RootCertFile), file: path, cfg: mesh}
	if lane.xds, err = ports.Free(); err != nil {
		return nil, err
	}
	admin, err := ports.Free()
	if err != nil {
		return nil, err
	}
	lane.admin = admin
	// ADS and the CA over TLS (meshcontrol's certificate from its own root,
	// persisted in caDir for the proxies to verify it), every proxy
	// authenticated. meshcontrol gets the secret; each proxy only its own
	// node's token (xdsArgs), which meshcontrol honours for that node alone.
	args := []string{"--mesh", path, "--listen", lane.xds, "--admin", admin, "--log-level", "warn"}
	if lane.tls = t.p.controlTLS(ctx); lane.tls {
		args = append(args, "--tls", "--ca-dir", caDir)
	}
	env := []string{"MESH_NODE_TOKEN_SECRET=" + lane.token}
	if _, err := t.run(ctx, "meshcontrol", results.RoleControlPlane, t.p.bins.Meshcontrol, args, env, "http://"+admin+"/ready"); err != nil {
		return nil, fmt.Errorf("meshcontrol: %w", err)
	}
	return lane, nil
}

// xdsArgs points a meshproxy at the topology's meshcontrol: over TLS,
// verified against its root, with the node's own token (ADS needs it even
// without mTLS; with it the proxy also gets a workload certificate). A
// meshcontrol without --tls (controlTLS) gets what its own harness passed:
// plaintext ADS, the token only for mTLS.
func (l *meshLane) xdsArgs(mtls bool, nodeID string) (args, env []string) {
	tok := []string{"MESH_BOOTSTRAP_TOKEN=" + ca.NodeToken(l.token, nodeID)}
	switch {
	case l.tls:
		return []string{"--xds", l.xds, "--xds-ca", l.root}, tok
	case mtls:
		return []string{"--xds", l.xds}, tok
	}
	return []string{"--xds", l.xds}, nil
}

func meshStart(ctx context.Context, t *topology, spec platform.Spec, s side) error {
	admin, err := ports.Free()
	if err != nil {
		return err
	}
	args := []string{"--id", s.Name, "--admin", admin}
	var env []string
	if t.mesh != nil {
		xa, xe := t.mesh.xdsArgs(spec.Case.MTLS, s.Name)
		args, env = append(args, xa...), xe
	} else {
		args, err = staticMeshArgs(t, spec, s, args)
		if err != nil {
			return err
		}
	}
	args = append(args, spec.Mesh.MeshproxyArgs()...)
	if _, err = t.run(ctx, s.Name, s.Role, t.p.bins.Meshproxy, args, append(gomaxprocsEnv(spec.Mesh.Workers), env...), "http://"+admin+"/ready"); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.admins == nil {
		t.admins = map[string]string{}
	}
	t.admins[s.Name] = admin
	return nil
}

// staticMeshArgs configures meshproxy by flags (no control plane).
func staticMeshArgs(t *topology, spec platform.Spec, s side, args []string) ([]string, error) {
	dir := "--outbound"
	if s.Inbound {
		dir = "--inbound"
	}
	args = append(args, dir, s.Listen+"="+s.Upstream)
	if spec.Case.MTLS {
		m, err := t.mtls()
		if err != nil {
			return nil, err
		}
		c := m.For(s)
		args = append(args, "--tls-cert", c.Cert, "--tls-key", c.Key, "--tls-ca", m.CA)
	}
	return args, nil
}
