// Package baseline stores named, immutable sets of run results: `meshbench
// baseline save NAME DIR` copies a run directory's results into the store
// with a manifest recording when, from which git revision and on which
// machine they were measured. A saved baseline is never changed in place;
// saving over an existing name needs Force, and then replaces it whole.
//
// Layout: ROOT/NAME/manifest.json and ROOT/NAME/results/*.json. A Store is
// safe for use by one process at a time; saving is atomic (a rename), so a
// reader never sees a half-written baseline.
package baseline
