package controlplane

import (
	"context"
	"log/slog"

	"github.com/meshbench/meshbench/harness/results"
	"github.com/meshbench/meshbench/mesh-under-test/xds"
	"github.com/meshbench/meshbench/mesh-under-test/xdsconfig"
)

// The control planes a scenario can name in control_planes.
const (
	PlaneMeshcontrol = "meshcontrol"
	PlaneIstiod      = "istiod"
)

// planeDef is one entry of the control-plane catalog: the name a scenario
// uses, the lane its results carry, and how to start it on a generated
// mesh.
type planeDef struct {
	name, lane, doc string
	// binary returns the binary to run from the options, or why it cannot
	// run (the result then says so, with no numbers).
	binary func(Options) (string, string)
	start  func(ctx context.Context, in planeInput) (running, error)
}

// planes is the catalog, defined once: Validate, Run and the docs read it.
var planes = []planeDef{
	{name: PlaneMeshcontrol, lane: results.LaneMesh, doc: "the mesh under test's control plane", binary: meshcontrolBinary, start: startMeshcontrolPlane},
	{name: PlaneIstiod, lane: results.LaneIstio, doc: "Istio's istiod (pilot-discovery), config from files, on an empty API server of its own; build it with `make istiod`", binary: istiodBinary, start: startIstiodPlane},
}

// PlaneNames lists the catalog's names, in order.
func PlaneNames() []string {
	out := make([]string, len(planes))
	for i, p := range planes {
		out[i] = p.name
	}
	return out
}

func findPlane(name string) *planeDef {
	for i := range planes {
		if planes[i].name == name {
			return &planes[i]
		}
	}
	return nil
}

// planeInput is what starting a control plane needs.
type planeInput struct {
	bin  string
	spec Spec
	size Size
	topo *topology
	dir  string // this size's work directory
	tr   *tracker
	log  *slog.Logger
}

// running is one started control plane, driven by runPlane. Its methods are
// called from the driver's goroutine, except client's Applier and Observer,
// which run on each simulated proxy's goroutine.
type running interface {
	pid() int
	// client returns simulated proxy i's ADS options (observer included)
	// and the Applier its client hands complete configurations to.
	client(i int) (xds.Options, xdsconfig.Applier, error)
	// transport is how the fleet reaches it (ADSTLS or ADSPlaintext).
	transport() string
	// key is the tracker key under which c's arrival is recorded.
	key(c change) string
	// connected reports that every proxy holds its initial configuration.
	connected() bool
	// write makes the control plane see the topology after c.
	write(c change) error
	// counters reads the control plane's own push counters.
	counters() (counters, error)
	stop()
}

// counters are a control plane's cumulative push counters at one moment.
type counters struct {
	pushes, bytes, nacks int64
	labels               map[string]string // cross-checks, at the end only
}

type nopApplier struct{}

func (nopApplier) Apply(context.Context, xdsconfig.Resources) error { return nil }
