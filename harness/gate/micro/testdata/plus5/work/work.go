// Package work is a stand-in for a mesh package with a benchmark.
package work

// Rounds is the work per call; the "slow" tree quadruples it, "plus5" adds 5%.
const Rounds = 2100

// Hash mixes Rounds times.
func Hash(x uint64) uint64 {
	for i := 0; i < Rounds; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}
