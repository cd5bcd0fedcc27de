package resilience_test

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/resilience"
	"github.com/meshbench/meshbench/harness/scenario"
)

// TestShippedScenarios: every file of scenarios/resilience/ loads strictly,
// is a resilience scenario with at least one criterion, and is in
// docs/reliability.md.
func TestShippedScenarios(t *testing.T) {
	doc, err := os.ReadFile("../../docs/reliability.md")
	require.NoError(t, err)
	files, err := filepath.Glob("../../scenarios/resilience/*.yaml")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 6)
	for _, f := range files {
		s, err := scenario.Load(f)
		require.NoError(t, err, f)
		assert.Equal(t, scenario.KindResilience, s.Kind, f)
		spec, err := resilience.DecodeSpec(s.Resilience, s.Duration.Duration)
		require.NoError(t, err, f)
		assert.NotEqual(t, resilience.Criteria{}, spec.Criteria, "%s has no criterion", f)
		assert.Contains(t, string(doc), "`"+filepath.Base(f)+"`", "docs/reliability.md does not describe %s", f)
	}
}

// TestDocsCriteriaTable: the criteria docs/reliability.md lists are the
// spec's criteria, no more, no fewer.
func TestDocsCriteriaTable(t *testing.T) {
	doc, err := os.ReadFile("../../docs/reliability.md")
	require.NoError(t, err)
	section := string(doc)[strings.Index(string(doc), "## Criteria"):]
	section = section[:strings.Index(section, "\n## ")]
	var listed []string
	for _, m := range regexp.MustCompile("(?m)^\\| (`.*?`) \\|").FindAllStringSubmatch(section, -1) {
		for _, name := range regexp.MustCompile("`([a-z0-9_]+)`").FindAllStringSubmatch(m[1], -1) {
			listed = append(listed, name[1])
		}
	}
	var fields []string
	typ := reflect.TypeOf(resilience.Criteria{})
	for i := range typ.NumField() {
		fields = append(fields, typ.Field(i).Tag.Get("yaml"))
	}
	assert.ElementsMatch(t, fields, listed)
}

// TestDocsErrorExample: the load error docs/reliability.md shows is what
// Load prints for the scenario package's resilience-bad.yaml.
func TestDocsErrorExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/reliability.md")
	require.NoError(t, err)
	path := "../scenario/testdata/resilience-bad.yaml"
	_, err = scenario.Load(path)
	require.Error(t, err)
	var shown string
	for _, l := range strings.Split(string(doc), "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "scenarios/x.yaml:") {
			shown = strings.TrimPrefix(l, "scenarios/x.yaml:")
		}
	}
	require.NotEmpty(t, shown)
	assert.Contains(t, strings.Split(err.Error(), "\n"), path+":"+shown)
}

// TestDefaults: the defaults docs/reliability.md states.
func TestDefaults(t *testing.T) {
	s := resilience.Spec{Faults: []resilience.Fault{{Kind: resilience.KindAbort, Percent: 1}, {Kind: resilience.KindFlood, Target: "meshcontrol"}}}
	s.Normalize()
	assert.Equal(t, 250*time.Millisecond, s.Bucket.Duration)
	assert.Equal(t, 3.0, s.RecoveryP99Factor)
	assert.Equal(t, 10*time.Millisecond, s.RecoveryP99Floor.Duration)
	assert.Equal(t, 503, s.Faults[0].Status)
	assert.Equal(t, 200, s.Faults[1].Connections)
	assert.Equal(t, "control-plane", s.Faults[1].Target)
}

// TestDocsFuzzingTable: docs/reliability.md's fuzzing table is the one of
// docs/security.md, where the runs are recorded.
func TestDocsFuzzingTable(t *testing.T) {
	table := func(file string) []string {
		doc, err := os.ReadFile(file)
		require.NoError(t, err)
		i := strings.Index(string(doc), "## Fuzzing")
		require.GreaterOrEqual(t, i, 0, "%s has a Fuzzing section", file)
		var rows []string
		for _, l := range strings.Split(string(doc)[i:], "\n") {
			if strings.HasPrefix(l, "| Fuzz") {
				rows = append(rows, l)
			}
		}
		return rows
	}
	security := table("../../docs/security.md")
	require.NotEmpty(t, security)
	assert.Equal(t, security, table("../../docs/reliability.md"))
}
