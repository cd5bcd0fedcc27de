package controlplane

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/meshbench/meshbench/harness/measure"
	"github.com/meshbench/meshbench/internal/await"
	"github.com/meshbench/meshbench/internal/ports"
	"github.com/meshbench/meshbench/mesh-under-test/caapi"
	"github.com/meshbench/meshbench/mesh-under-test/control/ca"
	"github.com/meshbench/meshbench/mesh-under-test/xds"
)

// process is one running control-plane process.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan error
	log  string
}

// startProcess runs bin with args (output to logPath) and waits until
// readyURL answers 200: a control plane is measured only once it serves.
func startProcess(ctx context.Context, name, bin string, args, env []string, logPath, readyURL string, timeout time.Duration) (*process, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("%s log: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &process{name: name, cmd: cmd, done: make(chan error, 1), log: logPath}
	go func() { p.done <- cmd.Wait(); logf.Close() }()
	var exited error // p.done's value, once taken from it
	err = await.Until(ctx, "200 OK from "+readyURL, 20*time.Millisecond, timeout, func(ctx context.Context) (bool, string, error) {
		select {
		case err := <-p.done:
			exited = fmt.Errorf("%s exited before ready (%v); see %s", name, err, logPath)
			return false, "", exited
		default:
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, readyURL, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false, err.Error(), nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status, nil
	})
	switch {
	case exited != nil:
		return nil, exited
	case err != nil:
		p.stop()
		return nil, fmt.Errorf("%s: %w; see %s", name, err, logPath)
	}
	return p, nil
}

// stop sends SIGTERM, then SIGKILL after a grace period.
func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// meshcontrol is one running meshcontrol process.
type meshcontrol struct {
	*process
	addr, admin string
	// With TLS (ADSTLS): the CA root its serving certificate chains to and
	// the node token secret each simulated proxy's token derives from.
	rootPEM    []byte
	nodeSecret string
}

// startMeshcontrol runs bin on meshPath and waits for /ready. With
// transport ADSTLS it serves ADS over TLS (--tls, its CA root in a
// directory under logDir) and authenticates every stream with a per-node
// token, as on the local platform's mesh lanes.
func startMeshcontrol(ctx context.Context, bin, meshPath, logDir string, env []string, transport string) (*meshcontrol, error) {
	addr, err := ports.Free()
	if err != nil {
		return nil, err
	}
	admin, err := ports.Free()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(logDir, "meshcontrol-"+filepath.Base(meshPath)+".log")
	args := []string{"--mesh", meshPath, "--listen", addr, "--admin", admin, "--log-level", "warn"}
	var caDir, secret string
	if transport == ADSTLS {
		tok := make([]byte, 16)
		if _, err := rand.Read(tok); err != nil {
			return nil, err
		}
		secret = hex.EncodeToString(tok)
		if caDir, err = os.MkdirTemp(logDir, "meshcontrol-ca-"); err != nil {
			return nil, fmt.Errorf("meshcontrol --ca-dir: %w", err)
		}
		args = append(args, "--tls", "--ca-dir", caDir)
	}
	// The secret goes in the environment, not the command line (ps).
	env = append(append([]string(nil), env...), "MESH_NODE_TOKEN_SECRET="+secret)
	p, err := startProcess(ctx, "meshcontrol", bin, args, env, logPath, "http://"+admin+"/ready", 30*time.Second)
	if err != nil {
		return nil, err
	}
	mc := &meshcontrol{process: p, addr: addr, admin: admin, nodeSecret: secret}
	if caDir != "" {
		// meshcontrol wrote its root before it listened.
		if mc.rootPEM, err = os.ReadFile(filepath.Join(caDir, ca.RootCertFile)); err != nil {
			mc.stop()
			return nil, fmt.Errorf("meshcontrol --tls: %w", err)
		}
	}
	return mc, nil
}

// secure sets how a simulated proxy node reaches meshcontrol: as a
// meshproxy with --xds-ca does (meshcontrol's certificate verified, the
// node's own token on every stream), or plaintext without TLS (o as is).
func (m *meshcontrol) secure(node string, o xds.Options) (xds.Options, error) {
	if m.rootPEM == nil {
		return o, nil // xds.Options' default: plaintext
	}
	cfg, err := caapi.ServerTLS(m.rootPEM, "")
	if err != nil {
		return o, fmt.Errorf("meshcontrol root: %w", err)
	}
	tok := ca.NodeToken(m.nodeSecret, node)
	o.TLS = cfg
	o.Credentials = caapi.NodeCredentials{NodeID: node, Token: func() (string, error) { return tok, nil }}.Header
	return o, nil
}

// scrape reads meshcontrol's metrics.
func (m *meshcontrol) scrape() (map[string]*dto.MetricFamily, error) {
	mf, err := measure.ScrapeFamilies(context.Background(), "http://"+m.admin+"/metrics")
	if err != nil {
		return nil, fmt.Errorf("meshcontrol: %w", err)
	}
	return mf, nil
}

// sum adds every sample of a counter or gauge family, or the sample sums
// of a histogram family.
func sum(mf map[string]*dto.MetricFamily, name string) float64 {
	f := mf[name]
	if f == nil {
		return 0
	}
	var s float64
	for _, m := range f.Metric {
		switch {
		case m.Counter != nil:
			s += m.Counter.GetValue()
		case m.Gauge != nil:
			s += m.Gauge.GetValue()
		case m.Histogram != nil:
			s += m.Histogram.GetSampleSum()
		}
	}
	return s
}

// quantile reads one quantile of a summary family.
func quantile(mf map[string]*dto.MetricFamily, name string, q float64) float64 {
	f := mf[name]
	if f == nil || len(f.Metric) == 0 || f.Metric[0].Summary == nil {
		return 0
	}
	for _, x := range f.Metric[0].Summary.Quantile {
		if x.GetQuantile() == q {
			return x.GetValue()
		}
	}
	return 0
}

// count adds the sample counts of a histogram family.
func count(mf map[string]*dto.MetricFamily, name string) float64 {
	f := mf[name]
	if f == nil {
		return 0
	}
	var n float64
	for _, m := range f.Metric {
		n += float64(m.GetHistogram().GetSampleCount())
	}
	return n
}
