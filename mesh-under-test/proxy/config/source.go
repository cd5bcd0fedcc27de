package config

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"

	// Types that may appear in typed_config, registered for protojson.
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/stream/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"

	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// ParseFile reads Envoy-style static configuration (YAML or JSON with a
// static_resources section of listeners, clusters and secrets). Unknown
// fields are errors.
func ParseFile(path string) (xdsconfig.Resources, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return xdsconfig.Resources{}, fmt.Errorf("read config: %w", err)
	}
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return xdsconfig.Resources{}, fmt.Errorf("%w: %s: %w", ErrInvalid, path, err)
	}
	var b bootstrapv3.Bootstrap
	if err := protojson.Unmarshal(js, &b); err != nil {
		return xdsconfig.Resources{}, fmt.Errorf("%w: %s: %w", ErrInvalid, path, err)
	}
	sr := b.GetStaticResources()
	st, _ := os.Stat(path)
	return xdsconfig.Resources{Version: "file@" + st.ModTime().UTC().Format(time.RFC3339Nano),
		Listeners: sr.GetListeners(), Clusters: sr.GetClusters(), Secrets: sr.GetSecrets()}, nil
}

// secretFiles lists files that secrets read, so rotation on disk is seen.
func secretFiles(secrets []*tlsv3.Secret) []string {
	var out []string
	add := func(d *corev3.DataSource) {
		if f := d.GetFilename(); f != "" {
			out = append(out, f)
		}
	}
	for _, s := range secrets {
		add(s.GetTlsCertificate().GetCertificateChain())
		add(s.GetTlsCertificate().GetPrivateKey())
		add(s.GetValidationContext().GetTrustedCa())
	}
	return out
}

// PollSource applies Load's resources, then polls the files they come from
// (the config file, certificate files) and re-applies when any changes:
// certificate rotation on disk without a restart. It implements
// xdsconfig.Source. The first failure to load or apply ends Run with an
// error (a proxy must not start on bad config); later failures are logged
// and the last good configuration keeps serving.
type PollSource struct {
	Load     func() (xdsconfig.Resources, error)
	Files    []string
	Interval time.Duration
	Log      *slog.Logger
}

var _ xdsconfig.Source = (*PollSource)(nil)

// Run implements xdsconfig.Source.
func (s *PollSource) Run(ctx context.Context, a xdsconfig.Applier) error {
	r, err := s.Load()
	if err != nil {
		return err
	}
	if err := a.Apply(ctx, r); err != nil {
		return err
	}
	interval := s.Interval
	if interval <= 0 {
		interval = 2 * time.Second
	}
	files := append(append([]string(nil), s.Files...), secretFiles(r.Secrets)...)
	last := stamps(files)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		cur := stamps(files)
		if cur == last {
			continue
		}
		last = cur
		r, err := s.Load()
		if err == nil {
			err = a.Apply(ctx, r)
		}
		if err != nil {
			s.Log.Error("configuration change rejected; keeping the last good one", "err", err)
			continue
		}
		s.Log.Info("configuration reloaded from disk", "version", r.Version)
	}
}

func stamps(files []string) string {
	out := ""
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			out += fmt.Sprintf("%s:%d:%d;", f, st.ModTime().UnixNano(), st.Size())
		}
	}
	return out
}
