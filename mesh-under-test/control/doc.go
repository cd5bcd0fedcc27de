// Package control is meshcontrol as a library: a Controller merges the
// service registries and the mesh policy, debounces their changes,
// translates them into per-proxy xDS resources and installs them in the ADS
// server. Sub-packages hold the concepts: registry (file, Kubernetes),
// policy (policy from Kubernetes ConfigMaps), translate, server (ADS and
// convergence tracking), ca (workload certificates) and metrics.
package control
