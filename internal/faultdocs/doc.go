// Package faultdocs reads docs/reliability.md's table of fault injectors
// per platform ("## On kind (and kube)": kind and target, what the local
// platform does, what kind does), so that the tests of each platform's
// injectors can check that what the table says of their column holds
// (kube TestDocsKindColumn, local TestDocsLocalColumn). Tests only read it.
package faultdocs
