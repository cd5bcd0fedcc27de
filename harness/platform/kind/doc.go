// Package kind is the platform that runs lanes on a kind cluster on this
// host: it creates the cluster (or reuses one that exists, and then never
// deletes it), builds the FROM-scratch images of meshbench, meshproxy and
// meshcontrol from static binaries and loads them into the nodes, waits
// (within a bound) until the cluster has settled: every pod Ready, none
// changing, the node containers' CPU quiet (settle.go), and runs every
// lane through package kube. CPU and memory per container are read
// from the host's cgroup files of the node containers (precise to the
// nanosecond, no kubelet caching), falling back to the kubelet's stats.
// On Close it deletes the cluster it created, unless told to keep it.
package kind
