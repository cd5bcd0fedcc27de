// Command gen writes the synthetic report fixtures: results built with the
// real result model (fortio's own histogram for every latency distribution),
// a comparison produced by the real gate (harness/gate/compare), and a
// history in the gate's JSONL format (harness/gate/history). The numbers
// are modelled on runs of this project's local platform (see ../local for
// real ones), not measured: the fixtures exist so every plot of a report
// has data, deterministically.
//
//	go run ./reports/testdata/gen -o reports/testdata/synthetic
package main

import (
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"fortio.org/fortio/stats"

	"github.com/meshbench/meshbench/harness/gate/compare"
	"github.com/meshbench/meshbench/harness/gate/history"
	"github.com/meshbench/meshbench/harness/results"
)

// lane is the model of one data path.
type lane struct {
	name, mode string
	hops       int     // proxies a request crosses
	hopMs      float64 // median added per hop
	proxy      string
	roles      []string
}

var lanes = []lane{
	{name: "none"},
	{name: "mesh", mode: "both", hops: 2, hopMs: 0.16, proxy: "meshproxy", roles: []string{results.RoleClientProxy, results.RoleServerProxy, results.RoleControlPlane}},
	{name: "mesh", mode: "clientonly", hops: 1, hopMs: 0.16, proxy: "meshproxy", roles: []string{results.RoleClientProxy, results.RoleControlPlane}},
	{name: "httputil", hops: 2, hopMs: 0.17, proxy: "httputil", roles: []string{results.RoleClientProxy, results.RoleServerProxy}},
}

var env = results.Environment{Hostname: "fixture", OS: "linux", Arch: "amd64", CPUModel: "AMD EPYC (synthetic fixture)", Cores: 2,
	Kernel: "6.18.44", GoVersion: "go1.26.8", GOMAXPROCS: 2, GitRevision: "5f3c2a9e1d7b4c6a8e0f2b4d6c8a0e2f4b6d8c0a",
	Pinning: "loadgen+app:cpu0 proxies:cpu1", StealPct: 0.4, MachineID: "synthetic-fixture"}

type gen struct {
	rng   *rand.Rand
	t0    time.Time
	order int
}

// run models one run of lane l in case c; slow scales the proxies' cost
// (the candidate of the comparison is 6% slower per request).
func (g *gen) run(l lane, c results.Case, rep int, slow float64) *results.Result {
	dur := 4.0
	n := int(c.QPS * dur)
	load := (1 + 0.12*math.Log2(float64(c.Connections)/2)) * (1 + c.QPS/5000)
	h := stats.NewHistogram(0, 0.00001)
	sched := stats.NewHistogram(0, 0.00001)
	lag := 0.0
	for range n {
		v := 0.11 * math.Exp(0.35*g.rng.NormFloat64())
		for range l.hops {
			v += l.hopMs * slow * math.Exp(0.4*g.rng.NormFloat64())
		}
		v *= load
		if g.rng.Float64() < 0.01 { // GC pauses, scheduler hiccups: the tail
			v += g.rng.ExpFloat64() * (0.6 + 0.5*float64(l.hops))
		}
		h.Record(v / 1000)
		lag = math.Max(0, lag*0.8+(v-0.5)*0.2)
		sched.Record((v + lag) / 1000)
	}
	r := &results.Result{Schema: results.Schema, Scenario: "istio-latency", ScenarioKind: "synthetic", Platform: "local",
		Lane: l.name, Mode: l.mode, Case: c, Repetition: rep, Order: g.order, Seed: 42,
		Started: g.t0.Add(time.Duration(g.order) * 7 * time.Second), WarmupS: 2, DurationS: dur,
		Labels: map[string]string{"fixture": "synthetic"}, Requests: int64(n), TargetQPS: c.QPS,
		AchievedQPS: c.QPS * (0.995 + 0.004*g.rng.Float64()), Environment: env, Valid: true}
	g.order++
	hd := h.Export().CalcPercentiles([]float64{50, 75, 90, 99, 99.9})
	r.Latency = percentiles(hd)
	sp := percentiles(sched.Export().CalcPercentiles([]float64{50, 75, 90, 99, 99.9}))
	r.LatencyScheduled = &sp
	r.Histogram = results.Histogram{Count: hd.Count, Min: hd.Min * 1000, Max: hd.Max * 1000, Avg: hd.Avg * 1000, StdDev: hd.StdDev * 1000}
	for _, b := range hd.Data {
		r.Histogram.Buckets = append(r.Histogram.Buckets, results.Bucket{Start: b.Start * 1000, End: b.End * 1000, Count: b.Count})
	}
	noise := func() float64 { return 1 + 0.05*g.rng.NormFloat64() }
	add := func(name, role string, usFixed, usPer float64, rssMiB float64) {
		us := (usPer + usFixed*1000/c.QPS) * noise()
		if role == results.RoleClientProxy || role == results.RoleServerProxy {
			us *= slow
		}
		rss := int64((rssMiB + float64(c.Connections)*0.06) * (1 << 20) * (1 + 0.02*g.rng.NormFloat64()))
		r.Components = append(r.Components, results.Component{Name: name, Role: role, CPUSeconds: us * float64(n) / 1e6,
			CPUUsPerRequest: us, VCPUPer1000RPS: us / 1000, RSSBytesSteady: rss, RSSBytesPeak: rss + int64(g.rng.IntN(3<<20)), CPUSource: "schedstat"})
	}
	add("loadgen", results.RoleLoadgen, 45, 70, 26)
	add("app", results.RoleApp, 35, 55, 22)
	for _, role := range l.roles {
		switch role {
		case results.RoleControlPlane:
			add("meshcontrol", role, 4, 1.5, 38)
		default:
			add(l.proxy+"-"+role[:6], role, 40, 95, 24)
		}
	}
	if l.proxy != "" {
		r.Mesh = &results.MeshFeatures{Proxy: l.proxy, MTLS: c.MTLS, Telemetry: l.name == "mesh", Workers: 1, XDS: l.name == "mesh"}
		if l.name == "mesh" {
			r.Mesh.Extra = map[string]string{"lb": "round_robin", "access_log": "off"}
		}
	}
	return r
}

// controlPlaneRun models one size of a control-plane churn run: 100
// changes at 5/s, convergence growing with the registry and the fleet.
func (g *gen) controlPlaneRun(services, endpoints, proxies, rep int) *results.Result {
	base := 12 + 0.012*float64(services*endpoints) + 0.35*float64(proxies)
	conv := stats.NewHistogram(0, 0.0001)
	for range 100 {
		conv.Record(base * math.Exp(0.45*g.rng.NormFloat64()) / 1000)
	}
	p := percentiles(conv.Export().CalcPercentiles([]float64{50, 75, 90, 99, 99.9}))
	rss := int64((28 + 0.02*float64(services*endpoints) + 0.25*float64(proxies)) * (1 << 20) * (1 + 0.03*g.rng.NormFloat64()))
	cpu := (0.4 + 0.0008*float64(services*endpoints) + 0.01*float64(proxies)) * (1 + 0.05*g.rng.NormFloat64())
	r := &results.Result{Schema: results.Schema, Scenario: "controlplane-churn", ScenarioKind: "controlplane", Platform: "local",
		Lane: "mesh", Case: results.Case{Name: fmt.Sprintf("svc%d-ep%d-px%d", services, endpoints, proxies), QPS: 5, Protocol: "grpc"},
		Repetition: rep, Order: g.order, Seed: 1, Started: g.t0.Add(time.Duration(g.order) * 30 * time.Second), DurationS: 20,
		Labels: map[string]string{"fixture": "synthetic"}, Requests: 100, TargetQPS: 5, AchievedQPS: 4.98, Environment: env, Valid: true,
		Components: []results.Component{{Name: "meshcontrol", Role: results.RoleControlPlane, CPUSeconds: cpu, CPUUsPerRequest: cpu * 1e6 / 100,
			RSSBytesSteady: rss, RSSBytesPeak: rss + 3<<20, CPUSource: "schedstat"}},
		Mesh: &results.MeshFeatures{Proxy: "xds-client-sim", XDS: true, Extra: map[string]string{"egress_per_proxy": "0"}},
		ControlPlane: &results.ControlPlane{Services: services, EndpointsPerSvc: endpoints, Proxies: proxies, Changes: 100,
			ConvergenceMs: p, Pushes: int64(100 * proxies), BytesPushed: int64(100 * proxies * services * 180), Nacks: 0}}
	g.order++
	return r
}

func percentiles(h *stats.HistogramData) results.Percentiles {
	p := results.Percentiles{Max: h.Max * 1000}
	for _, pc := range h.Percentiles {
		switch pc.Percentile {
		case 50:
			p.P50 = pc.Value * 1000
		case 75:
			p.P75 = pc.Value * 1000
		case 90:
			p.P90 = pc.Value * 1000
		case 99:
			p.P99 = pc.Value * 1000
		case 99.9:
			p.P999 = pc.Value * 1000
		}
	}
	return p
}

func kase(qps float64, conns int) results.Case {
	return results.Case{Name: fmt.Sprintf("qps%g-c%d-1024B-http1", qps, conns), QPS: qps, Connections: conns, PayloadBytes: 1024, Protocol: "http1"}
}

func main() {
	out := flag.String("o", "reports/testdata/synthetic", "output directory")
	flag.Parse()
	g := &gen{rng: rand.New(rand.NewPCG(42, 6)), t0: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	// Istio's sweeps: connections at 1000 qps, QPS at 16 connections.
	var cases []results.Case
	for _, c := range []int{2, 8, 16, 64} {
		cases = append(cases, kase(1000, c))
	}
	for _, q := range []float64{100, 400} {
		cases = append(cases, kase(q, 16))
	}
	dir := filepath.Join(*out, "results")
	must(os.RemoveAll(dir))
	for rep := 1; rep <= 3; rep++ {
		for _, i := range g.rng.Perm(len(cases) * len(lanes)) { // interleaved, seeded
			r := g.run(lanes[i%len(lanes)], cases[i/len(lanes)], rep, 1)
			if rep == 2 && r.Lane == "httputil" && r.Case.Connections == 64 {
				r.Valid, r.AchievedQPS = false, 941.2
				r.InvalidReasons = []string{"load generator fell behind: 941.2 of 1000 qps"}
			}
			_, err := results.Write(dir, r)
			must(err)
		}
	}

	// A gate: base and candidate (proxies 6% slower), 12 interleaved rounds.
	ref := kase(1000, 16)
	var base, cand []*results.Result
	for range 12 {
		for _, l := range []lane{lanes[0], lanes[1]} {
			base = append(base, g.run(l, ref, 1, 1))
			cand = append(cand, g.run(l, ref, 1, 1.06))
		}
	}
	cmp, err := compare.Compare(base, cand, compare.Options{BaseLabel: "main@5f3c2a9", CandidateLabel: "pr-812@9b1e4d7",
		Now: func() time.Time { return g.t0.Add(48 * time.Hour) }})
	must(err)
	must(results.WriteJSON(filepath.Join(*out, "comparison.json"), cmp))

	// History: 36 main-branch commits of mesh/both; commit 24 made the
	// proxy 9% slower per request.
	hist := filepath.Join(*out, "history.jsonl")
	must(os.RemoveAll(hist))
	for i := range 36 {
		slow := 1.0
		if i >= 24 {
			slow = 1.09
		}
		var set []*results.Result
		for range 3 {
			set = append(set, g.run(lanes[1], ref, 1, slow))
		}
		for _, r := range set {
			r.Started = g.t0.Add(time.Duration(i) * 9 * time.Hour)
		}
		pts, err := history.PointsFrom(set, fmt.Sprintf("%07x", 0x1a2b3c0+i*7919))
		must(err)
		must(history.Append(hist, pts, func(msg string) { fmt.Fprintln(os.Stderr, msg) }))
	}
	// A control-plane scenario: the sizes of scenarios/controlplane/churn.yaml.
	cpDir := filepath.Join(*out, "controlplane")
	must(os.RemoveAll(cpDir))
	for rep := 1; rep <= 2; rep++ {
		for _, sz := range [][3]int{{100, 2, 10}, {100, 2, 100}, {1000, 2, 10}, {1000, 2, 100}} {
			_, err := results.Write(cpDir, g.controlPlaneRun(sz[0], sz[1], sz[2], rep))
			must(err)
		}
	}
	log.Printf("wrote %d results, comparison (%s), history, control-plane runs to %s", len(cases)*len(lanes)*3, cmp.Verdict, *out)
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
