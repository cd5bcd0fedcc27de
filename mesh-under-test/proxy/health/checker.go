package health

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/lb"
)

// CheckConfig is one Envoy health_checks entry.
type CheckConfig struct {
	Interval           time.Duration
	Timeout            time.Duration
	UnhealthyThreshold int
	HealthyThreshold   int
	// HTTPPath selects an HTTP GET check; empty means a TCP connect check.
	HTTPPath string
	Host     string
	// TLS, when set, wraps the probe connection (mTLS clusters).
	TLS *tls.Config
}

// Checker probes hosts and sets their health.
type Checker struct {
	cfg   CheckConfig
	hosts []*lb.Host
	log   *slog.Logger
}

// NewChecker returns a checker; call Run to start probing.
func NewChecker(cfg CheckConfig, hosts []*lb.Host, log *slog.Logger) *Checker {
	if cfg.Interval <= 0 {
		cfg.Interval = 5 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Second
	}
	cfg.UnhealthyThreshold = max(cfg.UnhealthyThreshold, 1)
	cfg.HealthyThreshold = max(cfg.HealthyThreshold, 1)
	return &Checker{cfg: cfg, hosts: hosts, log: log}
}

// Run probes every host each interval until ctx ends.
func (c *Checker) Run(ctx context.Context) {
	fails := make([]int, len(c.hosts))
	oks := make([]int, len(c.hosts))
	client := &http.Client{Timeout: c.cfg.Timeout, Transport: &http.Transport{
		TLSClientConfig: c.cfg.TLS, DisableKeepAlives: true}}
	t := time.NewTicker(c.cfg.Interval)
	defer t.Stop()
	for {
		for i, h := range c.hosts {
			err := c.probe(ctx, client, h.Addr)
			if err != nil {
				oks[i] = 0
				fails[i]++
				if fails[i] >= c.cfg.UnhealthyThreshold && h.Healthy() {
					c.log.Warn("health check failed; host marked unhealthy", "host", h.Addr, "err", err)
					h.SetHealthy(false)
				}
				continue
			}
			fails[i] = 0
			oks[i]++
			if oks[i] >= c.cfg.HealthyThreshold && !h.Healthy() {
				c.log.Info("health check passed; host marked healthy", "host", h.Addr)
				h.SetHealthy(true)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (c *Checker) probe(ctx context.Context, client *http.Client, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	if c.cfg.HTTPPath == "" {
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		if err != nil {
			return fmt.Errorf("tcp connect: %w", err)
		}
		return conn.Close()
	}
	scheme := "http"
	if c.cfg.TLS != nil {
		scheme = "https"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+addr+c.cfg.HTTPPath, nil)
	if err != nil {
		return fmt.Errorf("health request: %w", err)
	}
	if c.cfg.Host != "" {
		req.Host = c.cfg.Host
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("health GET: %w", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health GET: status %d", resp.StatusCode)
	}
	return nil
}
