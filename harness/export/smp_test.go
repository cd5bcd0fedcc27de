package export

import (
	"bufio"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshbench/meshbench/harness/results"
)

// smpFields reads testdata/smp-fields.txt: message name -> its field names.
func smpFields(t *testing.T) map[string]map[string]bool {
	t.Helper()
	f, err := os.Open("testdata/smp-fields.txt")
	require.NoError(t, err)
	defer f.Close()
	out := map[string]map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		msg, fields, ok := strings.Cut(line, ":")
		require.True(t, ok, line)
		out[msg] = map[string]bool{}
		for _, fl := range strings.Fields(fields) {
			out[msg][fl] = true
		}
	}
	require.NoError(t, sc.Err())
	return out
}

// smpNested names the message type of each message-typed field meshbench
// writes (maps, such as labels, have no field names of their own).
var smpNested = map[string]string{
	"PerformanceTestResult.latencies_ms":     "PerformanceTestResult.Latency",
	"ServiceMeshConfig.sidecar":              "ServiceMeshConfig.Sidecar",
	"ServiceMeshConfig.mesh_control_plane":   "ServiceMeshConfig.MeshControlPlane",
	"EnvironmentConfig.nodes":                "EnvironmentConfig.Node",
	"EnvironmentConfig.individual_workloads": "EnvironmentConfig.IndividualWorkload",
}

// checkKeys fails for every key of doc that is not a field of msg.
func checkKeys(t *testing.T, fields map[string]map[string]bool, msg string, doc any) {
	t.Helper()
	switch v := doc.(type) {
	case []any:
		for _, e := range v {
			checkKeys(t, fields, msg, e)
		}
	case map[string]any:
		require.Contains(t, fields, msg)
		for k, sub := range v {
			assert.True(t, fields[msg][k], "%s has no field %q", msg, k)
			if nested, ok := smpNested[msg+"."+k]; ok {
				checkKeys(t, fields, nested, sub)
			}
		}
	}
}

// jsonNames lists the JSON names of a struct type's fields, recursively
// as msg.field -> true, so a field that is empty in one output is still
// checked.
func checkStruct(t *testing.T, fields map[string]map[string]bool, msg string, typ reflect.Type) {
	t.Helper()
	for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
		typ = typ.Elem()
	}
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		assert.True(t, fields[msg][name], "Go type %s: %s has no field %q", typ.Name(), msg, name)
		if nested, ok := smpNested[msg+"."+name]; ok {
			checkStruct(t, fields, nested, typ.Field(i).Type)
		}
	}
}

func TestSMPUsesOnlySpecFields(t *testing.T) {
	fields := smpFields(t)
	for _, tc := range []struct {
		msg string
		typ any
	}{{"PerformanceTestResult", SMPResult{}}, {"ServiceMeshConfig", SMPMeshConfig{}}, {"EnvironmentConfig", SMPEnvironment{}}} {
		checkStruct(t, fields, tc.msg, reflect.TypeOf(tc.typ))
	}

	r := realResult(t)
	dir := t.TempDir()
	files, err := Write(FormatSMP, dir, []Set{{Name: "x", Results: []*results.Result{r}, Files: []string{"runs/mesh-both.json"}}})
	require.NoError(t, err)
	require.Len(t, files, 3)
	docs := map[string]map[string]any{}
	for i, msg := range []string{"PerformanceTestResult", "ServiceMeshConfig", "EnvironmentConfig"} {
		data, err := os.ReadFile(files[i])
		require.NoError(t, err)
		var doc map[string]any
		require.NoError(t, json.Unmarshal(data, &doc))
		checkKeys(t, fields, msg, doc)
		docs[msg] = doc
	}

	res := docs["PerformanceTestResult"]
	assert.Equal(t, SMPVersion, res["smp_version"])
	assert.Equal(t, "runs/mesh-both.json", res["details_uri"])
	lat := res["latencies_ms"].(map[string]any)
	assert.InDelta(t, r.Latency.P50, lat["p50"], 1e-12, "latencies in ms, as meshbench stores them")
	assert.InDelta(t, r.Latency.P99, lat["p99"], 1e-12)
	assert.InDelta(t, r.Histogram.Avg, lat["average"], 1e-12)
	assert.InDelta(t, r.AchievedQPS, res["actual_qps"], 1e-12)
	assert.Equal(t, docs["ServiceMeshConfig"]["id"], res["mesh_config_id"])
	assert.Equal(t, docs["EnvironmentConfig"]["id"], res["env_id"])

	// Sidecar CPU: both proxies' CPU seconds over the window, in millicores.
	proxyCPU := r.Component(results.RoleClientProxy).CPUSeconds + r.Component(results.RoleServerProxy).CPUSeconds
	proxyMem := r.Component(results.RoleClientProxy).RSSBytesSteady + r.Component(results.RoleServerProxy).RSSBytesSteady
	side := docs["ServiceMeshConfig"]["sidecar"].(map[string]any)
	assert.InDelta(t, 1000*proxyCPU/r.DurationS, side["cpu_mcores"], 2)
	assert.InDelta(t, float64(proxyMem)/(1<<20), side["mem_mb"], 2)
	assert.EqualValues(t, 2, side["count"])
	cp := docs["ServiceMeshConfig"]["mesh_control_plane"].(map[string]any)
	assert.EqualValues(t, 1, cp["count"])
	wl := docs["EnvironmentConfig"]["individual_workloads"].([]any)
	assert.Len(t, wl, 2, "app and load generator")
}
