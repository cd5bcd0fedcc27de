// Package run executes a scenario's plan on a platform: for every planned
// run it brings the lane up, drives a discarded warm-up, measures a fixed
// window (latency from the load client, CPU and memory from every
// component's probe), writes the result atomically, and brings the lane
// down. Interrupted, it tears down what it started and keeps every result
// already written.
package run
