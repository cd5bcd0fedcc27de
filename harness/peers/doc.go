// Package peers pins the other meshes the kind and kube platforms can install
// beside the mesh under test (Istio, Linkerd): the versions their manifests
// are generated from (tools/peers, `make peer-manifests`), where the generated
// manifests live, and the checks every generated manifest must pass (the
// object kinds an install needs, the images it names) before a platform
// applies it. The versions are set here once; the generator and the platforms
// read them from here.
package peers
