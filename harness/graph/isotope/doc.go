// Package isotope reads Istio isotope service-graph topologies
// (github.com/istio/tools, folder isotope/) into a graph.Graph, reading
// them as isotope's own converter (isotope/convert/pkg/graph) does rather
// than as its README describes: top-level `defaults` (type, numReplicas,
// errorRate, responseSize, requestSize, script) and `services`, each with
// name, type (http|grpc), numReplicas, isEntrypoint, errorRate (a fraction
// 0..1 or "N%"), responseSize (bytes, or "1 KB" = 1024), namespace,
// cluster, labels and a script of `sleep: DURATION` and `call: NAME` or
// `call: {service, size, probability, hostname, extra-header}` steps, a
// nested list being a concurrent group. Field names match
// case-insensitively (isotope decodes through encoding/json); keys isotope
// ignores are ignored here too, with a warning naming file and line.
//
// One extension: a `burn: DURATION` step spins the CPU, for services that
// must cost CPU like real work (isotope only sleeps).
package isotope
