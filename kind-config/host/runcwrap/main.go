// Command runc-wrapper sits in front of runc on hosts whose capability
// bounding set lacks CAP_SYS_RESOURCE (some sandboxes and microVMs). There a
// privileged container, or any process asking for a negative oom_score_adj,
// fails with "unable to apply caps: operation not permitted" or "can't get
// final child's PID from pipe: EOF". The wrapper removes CAP_SYS_RESOURCE
// from every capability set and drops negative oomScoreAdj values from the
// OCI bundle's config.json (runc --bundle) and the process JSON (runc exec
// --process), then execs the real runc with the same arguments.
//
// It is installed only where a privileged probe container fails (see
// kind-config/host/prepare.sh): on Docker as the default runtime, and inside
// the offline kind node image as /usr/local/sbin/runc.
//
// The real runc is $MESHBENCH_REAL_RUNC, else the first of /usr/sbin/runc,
// /usr/bin/runc that exists.
package main

import (
	"fmt"
	"os"
	"syscall"
)

func main() {
	real := realRunc()
	for _, path := range specFiles(os.Args[1:]) {
		if err := patchFile(path); err != nil {
			fmt.Fprintf(os.Stderr, "runc-wrapper: %s: %v\n", path, err)
			os.Exit(1)
		}
	}
	args := append([]string{real}, os.Args[1:]...)
	if err := syscall.Exec(real, args, os.Environ()); err != nil {
		fmt.Fprintf(os.Stderr, "runc-wrapper: exec %s: %v\n", real, err)
		os.Exit(1)
	}
}

func realRunc() string {
	if p := os.Getenv("MESHBENCH_REAL_RUNC"); p != "" {
		return p
	}
	for _, p := range []string{"/usr/sbin/runc", "/usr/bin/runc"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "/usr/sbin/runc"
}
