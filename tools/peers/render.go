package main

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
)

// kubeVersion is the Kubernetes version charts are rendered for: the
// offline kind node image's (kind-config/node-image).
const kubeVersion = "v1.34.4"

// release is one `helm install` rendered offline: a chart, the charts it
// depends on (a file:// dependency is not resolved by the loader), the
// release name and namespace, and the values set on top of the chart's.
type release struct {
	chartDir string
	deps     []string
	name, ns string
	values   map[string]any
	// service is .Release.Service: "CLI" renders what Linkerd's CLI
	// installs (its namespace with the labels its webhooks need).
	service string
}

// render returns the release's objects as YAML documents, in the chart's
// file order (CRDs first: Helm's own install order is kept by applying
// CRDs before anything else, which the platforms do).
func render(r release) ([]string, error) {
	c, err := loader.LoadDir(r.chartDir)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", r.chartDir, err)
	}
	for _, d := range r.deps {
		dc, err := loader.LoadDir(d)
		if err != nil {
			return nil, fmt.Errorf("load chart %s: %w", d, err)
		}
		c.SetDependencies(append(c.Dependencies(), dc)...)
	}
	if err := chartutil.ProcessDependenciesWithMerge(c, r.values); err != nil {
		return nil, fmt.Errorf("chart %s dependencies: %w", c.Name(), err)
	}
	caps := chartutil.DefaultCapabilities.Copy()
	kv, err := chartutil.ParseKubeVersion(kubeVersion)
	if err != nil {
		return nil, err
	}
	caps.KubeVersion = *kv
	vals, err := chartutil.ToRenderValues(c, r.values, chartutil.ReleaseOptions{Name: r.name, Namespace: r.ns, IsInstall: true, Revision: 1}, caps)
	if err != nil {
		return nil, fmt.Errorf("chart %s values: %w", c.Name(), err)
	}
	if r.service != "" {
		if rel, ok := vals["Release"].(map[string]any); ok {
			rel["Service"] = r.service
		}
	}
	files, err := engine.Render(c, vals)
	if err != nil {
		return nil, fmt.Errorf("render chart %s: %w", c.Name(), err)
	}
	docs := crdFiles(c)
	var names []string
	for n := range files {
		base := path.Base(n)
		if base == "NOTES.txt" || strings.HasPrefix(base, "_") {
			continue
		}
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		docs = append(docs, splitDocs(files[n])...)
	}
	return docs, nil
}

// crdFiles are a chart's crds/ directory, which Helm installs unrendered.
func crdFiles(c *chart.Chart) []string {
	var out []string
	for _, f := range c.CRDObjects() {
		out = append(out, splitDocs(string(f.File.Data))...)
	}
	return out
}

// splitDocs splits a YAML stream into its non-empty documents.
func splitDocs(s string) []string {
	var out []string
	for _, d := range strings.Split("\n"+s, "\n---") {
		if strings.TrimSpace(stripComments(d)) != "" {
			out = append(out, strings.Trim(d, "\n"))
		}
	}
	return out
}

func stripComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// join writes documents as one stream.
func join(docs []string) []byte {
	return []byte(strings.Join(docs, "\n---\n") + "\n")
}

func namespaceDoc(name string) string {
	return "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + name
}
