// Package callgrind counts the instructions a program executes by running it
// under valgrind's callgrind tool. The count is nearly deterministic (two
// runs of one Go program differed by 0.1% on this project's VM), which makes
// it a low-noise CPU metric where hardware counters are unavailable (perf
// stat -e instructions is not supported on this machine). Callgrind slows a
// program ~50x, so it suits micro benchmarks at a fixed iteration count.
package callgrind
