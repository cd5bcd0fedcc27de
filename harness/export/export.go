package export

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/meshbench/meshbench/harness/results"
)

// Formats the exporter writes.
const (
	FormatFortio   = "fortio"
	FormatSMP      = "smp"
	FormatBenchfmt = "benchfmt"
)

// Formats lists the formats, for flag help and errors.
var Formats = []string{FormatFortio, FormatSMP, FormatBenchfmt}

// Set is the results of one RESULTS argument, with the file each was read
// from (same order).
type Set struct {
	Name    string
	Results []*results.Result
	Files   []string
}

// Write exports sets to dir in format and returns the files written.
// fortio and smp write one file (smp: three) per run, named after the run's
// result file; with more than one set, each set gets a subdirectory, so a
// base and a candidate directory holding the same file names do not
// collide. benchfmt writes one file per set, DIR/NAME.txt, for
// `benchstat DIR/base.txt DIR/candidate.txt`.
func Write(format, dir string, sets []Set) ([]string, error) {
	var written []string
	for _, s := range sets {
		sub := dir
		if len(sets) > 1 {
			sub = filepath.Join(dir, s.Name)
		}
		var err error
		var files []string
		switch format {
		case FormatFortio:
			files, err = writePerRun(sub, s, func(path, id string, r *results.Result, src string) ([]string, error) {
				p := path + ".json"
				return []string{p}, results.WriteJSON(p, ToFortio(r, id))
			})
		case FormatSMP:
			files, err = writePerRun(sub, s, func(path, id string, r *results.Result, src string) ([]string, error) {
				d := ToSMP(r, id, src)
				out := []string{path + ".smp-result.json", path + ".smp-mesh.json", path + ".smp-env.json"}
				for i, v := range []any{d.Result, d.MeshConfig, d.Environment} {
					if err := results.WriteJSON(out[i], v); err != nil {
						return nil, err
					}
				}
				return out, nil
			})
		case FormatBenchfmt:
			var buf bytes.Buffer
			if err = WriteBenchfmt(&buf, s.Results); err == nil {
				p := filepath.Join(dir, s.Name+".txt")
				files, err = []string{p}, results.WriteFileAtomic(p, buf.Bytes())
			}
		default:
			return nil, fmt.Errorf("--format %q: want one of %s", format, strings.Join(Formats, ", "))
		}
		if err != nil {
			return written, fmt.Errorf("export %s as %s: %w", s.Name, format, err)
		}
		written = append(written, files...)
	}
	return written, nil
}

type perRun func(pathNoExt, id string, r *results.Result, src string) ([]string, error)

func writePerRun(dir string, s Set, write perRun) ([]string, error) {
	var out []string
	for i, r := range s.Results {
		src := ""
		if i < len(s.Files) {
			src = s.Files[i]
		}
		id := strings.TrimSuffix(r.FileName(), ".json")
		if src != "" {
			id = strings.TrimSuffix(filepath.Base(src), ".json")
		}
		files, err := write(filepath.Join(dir, id), id, r, src)
		if err != nil {
			return out, err
		}
		out = append(out, files...)
	}
	return out, nil
}
