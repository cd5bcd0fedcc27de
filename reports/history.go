package reports

import "github.com/meshbench/meshbench/reports/digest"

// LoadHistory reads a History JSON document (schema meshbench.history/v1):
// trends whose change points were computed before rendering (by
// `meshbench report --history`, from the gate's JSONL history). Reports never
// detect change points themselves.
func LoadHistory(path string) (*History, error) {
	return digest.ReadHistory(path)
}
