// Package cluster creates, reuses, inspects and deletes kind clusters through
// the sigs.k8s.io/kind library (no kind CLI; the library itself shells out to
// the docker CLI), installs the small bridge CNI that replaces kindnetd
// (which cannot be had without a registry), and builds and loads the
// harness's FROM-scratch images (meshbench, meshproxy, meshcontrol) into the
// nodes with kind's nodeutils.
//
// A Manager is safe for use by one goroutine at a time.
package cluster
