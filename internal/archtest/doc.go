// Package archtest holds no code: its test enforces the import rules of
// docs/architecture.md with `go list`, so a layering mistake fails `make test`
// instead of waiting for a reviewer to notice.
package archtest
