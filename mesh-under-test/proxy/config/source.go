package config

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
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
// fields are errors, and so is any other top-level section of an Envoy
// bootstrap (admin, node, ...): meshproxy would ignore it.
//
// Why not protojson into bootstrapv3.Bootstrap: linking the bootstrap API
// brings its metrics, overload and tracing configs, whose init code and
// descriptors run at every start-up (docs/proxy.md "Memory"). Each resource
// is still decoded by protojson into go-control-plane's generated type.
func ParseFile(path string) (xdsconfig.Resources, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return xdsconfig.Resources{}, fmt.Errorf("read config: %w", err)
	}
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return xdsconfig.Resources{}, fmt.Errorf("%w: %s: %w", ErrInvalid, path, err)
	}
	r, err := parseStatic(js)
	if err != nil {
		return xdsconfig.Resources{}, fmt.Errorf("%w: %s: %w", ErrInvalid, path, err)
	}
	st, _ := os.Stat(path)
	r.Version = "file@" + st.ModTime().UTC().Format(time.RFC3339Nano)
	return r, nil
}

// parseStatic decodes {static_resources: {listeners, clusters, secrets}}
// (protojson's lowerCamel names too).
func parseStatic(js []byte) (xdsconfig.Resources, error) {
	var r xdsconfig.Resources
	top, err := object(js, "the file")
	if err != nil {
		return r, err
	}
	var sr json.RawMessage
	for k, v := range top {
		if k != "static_resources" && k != "staticResources" {
			return r, fmt.Errorf("field %q: meshproxy reads only static_resources", k)
		}
		if sr != nil {
			return r, fmt.Errorf("static_resources given twice (static_resources and staticResources)")
		}
		sr = v
	}
	sections, err := object(sr, "static_resources")
	if err != nil {
		return r, err
	}
	for k, v := range sections {
		switch k {
		case "listeners":
			r.Listeners, err = decodeList[listenerv3.Listener](v, k)
		case "clusters":
			r.Clusters, err = decodeList[clusterv3.Cluster](v, k)
		case "secrets":
			r.Secrets, err = decodeList[tlsv3.Secret](v, k)
		default:
			err = fmt.Errorf("static_resources: unknown field %q (listeners, clusters, secrets)", k)
		}
		if err != nil {
			return r, err
		}
	}
	return r, nil
}

// object decodes a JSON object's members; null or absent is empty.
func object(js json.RawMessage, what string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if len(js) == 0 {
		return m, nil
	}
	if err := json.Unmarshal(js, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return m, nil
}

// decodeList decodes a JSON array of resources with protojson.
func decodeList[T any, PT interface {
	*T
	proto.Message
}](js json.RawMessage, field string) ([]PT, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(js, &items); err != nil {
		return nil, fmt.Errorf("static_resources.%s: %w", field, err)
	}
	out := make([]PT, 0, len(items))
	for i, it := range items {
		m := PT(new(T))
		if err := protojson.Unmarshal(it, m); err != nil {
			return nil, fmt.Errorf("static_resources.%s[%d]: %w", field, i, err)
		}
		out = append(out, m)
	}
	return out, nil
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
// and the last good configuration keeps serving. A change is loaded once
// the files' stamps (mtime, size) have held for one interval: a file caught
// half-written (truncated, then written) is not loaded as if it were the
// new configuration.
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
	pending := last
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
		if cur != pending { // still changing: wait until it holds
			pending = cur
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
