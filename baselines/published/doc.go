// Package published embeds the published Istio and Linkerd performance
// figures (published.yaml: every figure with its source and test conditions)
// so the meshbench binary can caption reports with them wherever it runs.
// reports/published parses them; edit the YAML, never this file.
package published
