package peers

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// ErrNotGenerated marks a manifests dir without the peer's manifest: the
// lane is unavailable until `make peer-manifests` has run.
var ErrNotGenerated = errors.New("peer manifest not generated")

// maxManifestBytes bounds what Load reads: Istio's is about 1 MiB (its CRDs),
// so 32 MiB is a broken or hostile file, not an install.
const maxManifestBytes = 32 << 20

// Manifest is a peer's generated install, checked.
type Manifest struct {
	Peer    Peer
	Path    string
	Objects []*unstructured.Unstructured
	// Images: every image the install needs on the nodes (its pods' and its
	// sidecar's), sorted.
	Images []string
}

// Load reads and checks the peer's manifest from dir.
func Load(dir string, p Peer) (*Manifest, error) {
	path := filepath.Join(dir, p.File())
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w (run `make peer-manifests`, or pass the directory that holds it)", path, ErrNotGenerated)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxManifestBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxManifestBytes {
		return nil, fmt.Errorf("%s: larger than %d MiB: not a %s install", path, maxManifestBytes>>20, p.Name)
	}
	m, err := Parse(data, p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m.Path = path
	return m, nil
}

// Parse decodes a manifest stream and checks it against the peer's pins.
func Parse(data []byte, p Peer) (*Manifest, error) {
	first, _, _ := bytes.Cut(data, []byte("\n"))
	if got := strings.TrimSpace(string(first)); got != p.Stamp() {
		return nil, fmt.Errorf("line 1: %q is not the pinned stamp %q (generated at another pin: run `make peer-manifests`)", got, p.Stamp())
	}
	m := &Manifest{Peer: p}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for i := 1; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(obj) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: obj}
		if u.GetAPIVersion() == "" || u.GetKind() == "" || u.GetName() == "" {
			return nil, fmt.Errorf("document %d: an object needs apiVersion, kind and metadata.name", i)
		}
		if ns := u.GetNamespace(); ns != "" && ns != p.Namespace {
			return nil, fmt.Errorf("document %d: %s %s is in namespace %q: a %s install only writes to %q", i, u.GetKind(), u.GetName(), ns, p.Name, p.Namespace)
		}
		m.Objects = append(m.Objects, u)
	}
	for _, k := range p.RequiredKinds {
		if !slices.ContainsFunc(m.Objects, func(u *unstructured.Unstructured) bool { return u.GetKind() == k }) {
			return nil, fmt.Errorf("no %s object: not a complete %s install", k, p.Name)
		}
	}
	if !slices.ContainsFunc(m.Objects, func(u *unstructured.Unstructured) bool {
		return u.GetKind() == "Namespace" && u.GetName() == p.Namespace
	}) {
		return nil, fmt.Errorf("no Namespace %s: a %s install creates its own namespace", p.Namespace, p.Name)
	}
	for _, img := range p.Images {
		if !bytes.Contains(data, []byte(img)) && !namesSplitImage(data, img) {
			return nil, fmt.Errorf("the pinned image %s is named nowhere: generated at another pin? (run `make peer-manifests`)", img)
		}
	}
	images := append([]string(nil), p.Images...)
	for _, u := range m.Objects {
		images = append(images, PodImages(u)...)
	}
	slices.Sort(images)
	m.Images = slices.Compact(images)
	return m, nil
}

// namesSplitImage reports whether data names img as the injectors'
// configs do, registry, name and tag apart: Istio's values hold "hub",
// "proxy": {"image": "proxyv2"} and "tag"; Linkerd's "image":
// "cr.l5d.io/linkerd/proxy" and "version".
func namesSplitImage(data []byte, img string) bool {
	colon := strings.LastIndex(img, ":")
	slash := strings.LastIndex(img, "/")
	if colon < 0 || slash < 0 || colon < slash {
		return false
	}
	repo, name, tag := img[:slash], img[slash+1:colon], img[colon+1:]
	return bytes.Contains(data, []byte(strconv.Quote(repo))) && bytes.Contains(data, []byte(strconv.Quote(name))) &&
		bytes.Contains(data, []byte(strconv.Quote(tag))) ||
		bytes.Contains(data, []byte(strconv.Quote(img[:colon]))) && bytes.Contains(data, []byte(strconv.Quote(tag)))
}

// PodImages lists the images of an object's pod template (Deployment,
// DaemonSet, StatefulSet, Job, CronJob) or pod, init containers included.
func PodImages(u *unstructured.Unstructured) []string {
	var spec []string
	switch u.GetKind() {
	case "Pod":
		spec = []string{"spec"}
	case "Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job":
		spec = []string{"spec", "template", "spec"}
	case "CronJob":
		spec = []string{"spec", "jobTemplate", "spec", "template", "spec"}
	default:
		return nil
	}
	var out []string
	for _, field := range []string{"initContainers", "containers"} {
		cs, _, _ := unstructured.NestedSlice(u.Object, append(slices.Clone(spec), field)...)
		for _, c := range cs {
			if cm, ok := c.(map[string]any); ok {
				if img, ok := cm["image"].(string); ok && img != "" {
					out = append(out, img)
				}
			}
		}
	}
	return out
}
