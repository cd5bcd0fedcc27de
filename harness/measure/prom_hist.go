package measure

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// HistKey names one series of a histogram family by the labels the hop
// view needs (a proxy's direction and destination cluster); the others
// (source, status code) are summed.
type HistKey struct{ Direction, Cluster string }

// Hist is a cumulative Prometheus histogram: Counts[i] observations at or
// below Bounds[i]; the +Inf bucket is Count.
type Hist struct {
	Count  uint64
	Sum    float64
	Bounds []float64
	Counts []uint64
}

// Add adds o's observations (same buckets) to h.
func (h *Hist) Add(o *Hist) error {
	if o == nil {
		return nil
	}
	if h.Bounds == nil {
		h.Bounds = append([]float64(nil), o.Bounds...)
		h.Counts = make([]uint64, len(o.Bounds))
	}
	if len(o.Bounds) != len(h.Bounds) {
		return fmt.Errorf("histograms with different buckets (%d and %d)", len(h.Bounds), len(o.Bounds))
	}
	h.Count += o.Count
	h.Sum += o.Sum
	for i := range o.Counts {
		h.Counts[i] += o.Counts[i]
	}
	return nil
}

// Sub returns h - before: the observations made between two scrapes of a
// counter-like histogram. A series absent before counts from zero.
func (h *Hist) Sub(before *Hist) *Hist {
	out := &Hist{Count: h.Count, Sum: h.Sum, Bounds: h.Bounds, Counts: append([]uint64(nil), h.Counts...)}
	if before == nil || len(before.Counts) != len(h.Counts) {
		return out
	}
	out.Count -= min(before.Count, out.Count)
	out.Sum -= before.Sum
	for i := range out.Counts {
		out.Counts[i] -= min(before.Counts[i], out.Counts[i])
	}
	return out
}

// Mean is Sum/Count (0 when empty).
func (h *Hist) Mean() float64 {
	if h == nil || h.Count == 0 {
		return 0
	}
	return h.Sum / float64(h.Count)
}

// Quantile interpolates linearly within the bucket holding the q-th
// observation, as Prometheus's histogram_quantile does (the first bucket
// starts at 0; beyond the last finite bound it answers that bound).
func (h *Hist) Quantile(q float64) float64 {
	if h == nil || h.Count == 0 || len(h.Bounds) == 0 {
		return math.NaN()
	}
	rank := q * float64(h.Count)
	i := sort.Search(len(h.Counts), func(i int) bool { return float64(h.Counts[i]) >= rank })
	if i == len(h.Counts) {
		return h.Bounds[len(h.Bounds)-1]
	}
	lo, below := 0.0, uint64(0)
	if i > 0 {
		lo, below = h.Bounds[i-1], h.Counts[i-1]
	}
	in := h.Counts[i] - below
	if in == 0 {
		return h.Bounds[i]
	}
	return lo + (h.Bounds[i]-lo)*(rank-float64(below))/float64(in)
}

// ScrapeFamilies reads every metric family of a Prometheus text endpoint.
func ScrapeFamilies(ctx context.Context, url string) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: %s", url, resp.Status)
	}
	mfs, err := ParseFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	return mfs, nil
}

// ParseFamilies reads every metric family of a Prometheus text exposition
// (a scrape fetched another way: the Kubernetes API server's pod proxy).
func ParseFamilies(r io.Reader) (map[string]*dto.MetricFamily, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(r)
}

// ScrapeHistograms reads one histogram family from a Prometheus text
// endpoint, its series summed by direction and cluster (the labels named
// directionLabel and clusterLabel).
func ScrapeHistograms(ctx context.Context, url, family, directionLabel, clusterLabel string) (map[HistKey]*Hist, error) {
	mfs, err := ScrapeFamilies(ctx, url)
	if err != nil {
		return nil, err
	}
	out := map[HistKey]*Hist{}
	mf := mfs[family]
	if mf == nil {
		return out, nil
	}
	if mf.GetType() != dto.MetricType_HISTOGRAM {
		return nil, fmt.Errorf("scrape %s: %s is a %s, not a histogram", url, family, mf.GetType())
	}
	for _, m := range mf.Metric {
		var k HistKey
		for _, l := range m.Label {
			switch l.GetName() {
			case directionLabel:
				k.Direction = l.GetValue()
			case clusterLabel:
				k.Cluster = l.GetValue()
			}
		}
		h := &Hist{Count: m.Histogram.GetSampleCount(), Sum: m.Histogram.GetSampleSum()}
		for _, b := range m.Histogram.Bucket {
			if math.IsInf(b.GetUpperBound(), 1) {
				continue
			}
			h.Bounds = append(h.Bounds, b.GetUpperBound())
			h.Counts = append(h.Counts, b.GetCumulativeCount())
		}
		if out[k] == nil {
			out[k] = &Hist{}
		}
		if err := out[k].Add(h); err != nil {
			return nil, fmt.Errorf("scrape %s: %s: %w", url, family, err)
		}
	}
	return out, nil
}
