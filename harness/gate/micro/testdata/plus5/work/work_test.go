package work

import "testing"

var sink uint64

func BenchmarkHash(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sink = Hash(uint64(i))
	}
}
