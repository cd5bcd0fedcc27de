package peers

// Pinned versions. The generator (tools/peers) renders each peer's own Helm
// charts from the module the Go module proxy serves at ModuleVersion and
// sets the images to Hub/Tag; changing a pin here and re-running `make
// peer-manifests` is the whole upgrade.
const (
	// IstioModule / IstioModuleVersion: Istio's source (manifests/charts),
	// a pseudo-version because Istio's release tags carry no "v".
	IstioModule        = "istio.io/istio"
	IstioModuleVersion = "v0.0.0-20260827124520-eed52ebb66ad"
	// IstioHub / IstioTag: the images, the release of the charts' VERSION
	// file (1.31): the module is a commit on master, whose own dev images
	// live in a test registry under its full commit hash.
	IstioHub = "docker.io/istio"
	IstioTag = "1.31.0"

	// LinkerdModule / LinkerdModuleVersion: Linkerd's source (charts/) at
	// its release tag edge-26.8.3 (commit 19a0d90d5a4a).
	LinkerdModule        = "github.com/linkerd/linkerd2"
	LinkerdModuleVersion = "v0.0.0-20260821162827-19a0d90d5a4a"
	// LinkerdVersion names the release: its images' tag (cr.l5d.io/linkerd/*).
	LinkerdVersion = "edge-26.8.3"
)
