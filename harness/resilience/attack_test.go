package resilience

import (
	"context"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type ownerFunc func(string) bool

func (f ownerFunc) OwnsAddr(addr string) bool { return f(addr) }

// TestAttackTargets: floods go to loopback, and elsewhere only to an
// address the topology vouches for (a kind node it created); anything else
// is refused before a single connection is opened.
func TestAttackTargets(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer lis.Close()
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	a, err := startAttack(context.Background(), KindFlood, lis.Addr().String(), 3, nil)
	require.NoError(t, err, "loopback needs no owner")
	assert.Contains(t, a.stop(), "3 connections opened")

	// 192.0.2.0/24 is TEST-NET-1: never dialled, the check comes first.
	for _, tc := range []struct {
		name  string
		owner Owner
	}{{"no owner", nil}, {"owner disowns it", ownerFunc(func(string) bool { return false })}} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := startAttack(context.Background(), KindFlood, "192.0.2.1:80", 3, tc.owner)
			assert.ErrorContains(t, err, "only loopback addresses and containers the harness created are attacked")
		})
	}
	_, err = startAttack(context.Background(), KindSlowloris, "not-an-address", 1, nil)
	assert.Error(t, err)
}
