package upstream

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/meshbench/meshbench/mesh-under-test/proxy/lb"
	"github.com/meshbench/meshbench/mesh-under-test/proxy/resilience"
)

// TestPickRetryAvoidsTriedHosts: Envoy's previous_hosts predicate
// (AvoidTried) sends a retry to a host not tried yet whenever one may take
// requests, whatever the balancer; with none, a tried host is retried.
// Each case picks 200 times: random and least-request balancing pick a
// tried host half the time between two.
func TestPickRetryAvoidsTriedHosts(t *testing.T) {
	avoid := &resilience.RetryPolicy{AvoidTried: true, HostSelectionAttempts: 5}
	now := time.Now()
	cases := []struct {
		name    string
		policy  lb.Policy
		hosts   int
		retry   *resilience.RetryPolicy
		tried   []int
		ejected []int
		want    []int // the endpoints a retry may go to
	}{
		{"random, one of two tried", lb.Random, 2, avoid, []int{0}, nil, []int{1}},
		{"least request, one of two tried", lb.LeastRequest, 2, avoid, []int{1}, nil, []int{0}},
		{"round robin, two of three tried", lb.RoundRobin, 3, avoid, []int{0, 2}, nil, []int{1}},
		{"no host selection attempts: still avoided", lb.Random, 2, &resilience.RetryPolicy{AvoidTried: true}, []int{0}, nil, []int{1}},
		{"one host: retried on it", lb.Random, 1, avoid, []int{0}, nil, []int{0}},
		{"every host tried: any", lb.Random, 2, avoid, []int{0, 1}, nil, []int{0, 1}},
		{"the untried host is ejected: the tried one", lb.Random, 2, avoid, []int{0}, []int{1}, []int{0}},
		{"no predicate: the balancer's pick", lb.RoundRobin, 2, &resilience.RetryPolicy{}, []int{0}, nil, []int{0, 1}},
		{"no policy: the balancer's pick", lb.RoundRobin, 2, nil, []int{0}, nil, []int{0, 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eps := make([]*Endpoint, tc.hosts)
			for i := range eps {
				eps[i] = newEndpoint(fmt.Sprintf("127.0.0.1:%d", 8001+i))
			}
			for _, i := range tc.ejected {
				eps[i].Host.Eject(now.Add(time.Hour).UnixNano())
			}
			c := New(Config{Name: "c", Policy: tc.policy}, eps)
			var tried []*Endpoint
			for _, i := range tc.tried {
				tried = append(tried, eps[i])
			}
			seen := map[int]int{}
			for range 200 {
				e := c.PickRetry(now, tc.retry, tried)
				for i, x := range eps {
					if x == e {
						seen[i]++
					}
				}
			}
			for i, n := range seen {
				assert.Contains(t, tc.want, i, "a retry went to endpoint %d (%d times)", i, n)
			}
			if len(tc.want) > 1 {
				assert.Len(t, seen, len(tc.want), "the balancer still chooses among the allowed hosts: %v", seen)
			}
		})
	}
}
