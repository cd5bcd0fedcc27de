package aggregate

import (
	"cmp"
	"slices"
	"strings"

	"github.com/meshbench/meshbench/harness/results"
)

// LaneLabel is the label of a result's lane: "mesh/both", "none", ... (the
// lane catalog's, results.LaneLabel).
func LaneLabel(r *results.Result) string { return r.LaneLabel() }

// variantSep joins a lane and the build it ran ("mesh/both @candidate").
const variantSep = " @"

// SplitLane splits a lane label into the lane and the build variant, if any.
func SplitLane(label string) (lane, variant string) {
	lane, variant, _ = strings.Cut(label, variantSep)
	return lane, variant
}

// JoinLane is the label of lane measured with build variant ("" for none).
func JoinLane(lane, variant string) string {
	if variant == "" {
		return lane
	}
	return lane + variantSep + variant
}

// Labeler returns the lane label of each run of rs, with the build variant
// when rs mix builds ("mesh/both @candidate").
func Labeler(rs []*results.Result) func(*results.Result) string {
	variant := variantOf(rs)
	return func(r *results.Result) string { return JoinLane(LaneLabel(r), variant(r)) }
}

// variantOf names the build a run measured when the results mix builds:
// the gate's build label (base, candidate), else the git revision when
// there is more than one. Runs of different builds are never pooled.
func variantOf(rs []*results.Result) func(*results.Result) string {
	builds, revs := map[string]bool{}, map[string]bool{}
	for _, r := range rs {
		if b := r.Labels["build"]; b != "" {
			builds[b] = true
		}
		revs[r.Environment.GitRevision] = true
	}
	switch {
	case len(builds) > 1:
		return func(r *results.Result) string { return r.Labels["build"] }
	case len(revs) > 1:
		return func(r *results.Result) string {
			rev := r.Environment.GitRevision
			if len(rev) > 8 {
				rev = rev[:8]
			}
			return rev
		}
	default:
		return func(*results.Result) string { return "" }
	}
}

// variantRank puts the base build before the candidate.
func variantRank(v string) int {
	switch v {
	case "", "base":
		return 0
	case "candidate":
		return 1
	default:
		return 2
	}
}

// laneRank orders lanes the way a reader compares them: baseline first, then
// our mesh, then live meshes, then reference proxies; builds within a lane.
func laneRank(label string) int {
	l, v := SplitLane(label)
	return laneKind(l)*10 + variantRank(v)
}

func laneKind(l string) int {
	switch {
	case l == "none":
		return 0
	case l == "mesh/both" || l == "mesh":
		return 1
	case strings.HasPrefix(l, "mesh/"):
		return 2
	case strings.HasPrefix(l, "istio"):
		return 3
	case strings.HasPrefix(l, "linkerd"):
		return 4
	default:
		return 5
	}
}

// IsMeshLane reports whether lane is a service mesh (ours, or a live Istio
// or Linkerd) rather than the baseline or a reference proxy.
func IsMeshLane(label string) bool {
	lane, _ := SplitLane(label)
	return lane == "mesh" || strings.HasPrefix(lane, "mesh/") || lane == "istio" || strings.HasPrefix(lane, "istio/") ||
		lane == "linkerd" || strings.HasPrefix(lane, "linkerd/")
}

// RoleOrder is the order in which component roles are shown.
var RoleOrder = []string{results.RoleClientProxy, results.RoleGateway, results.RoleServerProxy, results.RoleControlPlane, results.RoleApp, results.RoleLoadgen}

func roleRank(r string) int {
	if i := slices.Index(RoleOrder, r); i >= 0 {
		return i
	}
	return len(RoleOrder)
}

// IsProxyRole reports whether role is a data-path proxy.
func IsProxyRole(role string) bool {
	return role == results.RoleClientProxy || role == results.RoleServerProxy || role == results.RoleGateway
}

// compareCases orders cases along the matrix: protocol, payload, mTLS,
// QPS, connections.
func compareCases(a, b results.Case) int {
	return cmp.Or(cmp.Compare(a.Protocol, b.Protocol), cmp.Compare(a.PayloadBytes, b.PayloadBytes),
		cmpBool(a.MTLS, b.MTLS), cmp.Compare(a.QPS, b.QPS), cmp.Compare(a.Connections, b.Connections),
		cmp.Compare(a.Name, b.Name))
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	default:
		return 1
	}
}
