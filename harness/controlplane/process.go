package controlplane

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/meshbench/meshbench/harness/measure"
	"github.com/meshbench/meshbench/harness/ports"
)

// meshcontrol is one running meshcontrol process.
type meshcontrol struct {
	cmd         *exec.Cmd
	addr, admin string
	done        chan error
	log         string
}

// startMeshcontrol runs bin on meshPath and waits for /ready.
func startMeshcontrol(ctx context.Context, bin, meshPath, logDir string, env []string) (*meshcontrol, error) {
	addr, err := ports.Free()
	if err != nil {
		return nil, err
	}
	admin, err := ports.Free()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(logDir, "meshcontrol-"+filepath.Base(meshPath)+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("meshcontrol log: %w", err)
	}
	cmd := exec.Command(bin, "--mesh", meshPath, "--listen", addr, "--admin", admin, "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	mc := &meshcontrol{cmd: cmd, addr: addr, admin: admin, done: make(chan error, 1), log: logPath}
	go func() { mc.done <- cmd.Wait(); logf.Close() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + admin + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return mc, nil
			}
		}
		select {
		case err := <-mc.done:
			return nil, fmt.Errorf("meshcontrol exited before ready (%v); see %s", err, logPath)
		case <-ctx.Done():
			mc.stop()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			mc.stop()
			return nil, fmt.Errorf("meshcontrol not ready after 30s; see %s", logPath)
		}
	}
}

// stop sends SIGTERM, then SIGKILL after a grace period.
func (m *meshcontrol) stop() {
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(5 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.done
	}
}

// scrape reads meshcontrol's metrics.
func (m *meshcontrol) scrape() (map[string]*dto.MetricFamily, error) {
	mf, err := measure.ScrapeFamilies(context.Background(), "http://"+m.admin+"/metrics")
	if err != nil {
		return nil, fmt.Errorf("meshcontrol: %w", err)
	}
	return mf, nil
}

// sum adds every sample of a counter or gauge family.
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
