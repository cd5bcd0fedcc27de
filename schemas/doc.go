// Package schemas holds the JSON Schema (draft 2020-12) files of meshbench's
// documents - result.schema.json for a run's result (schema versions v1 and
// v2) and comparison.schema.json for the output of compare and gate - and
// compiles them for validation. Tools outside Go read the .json files
// directly; the tests validate real outputs against them and check that
// every field of the Go types is in the schema and nothing else.
package schemas
