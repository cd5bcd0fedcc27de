// Package inject deliberately makes the proxy worse, for validating the
// harness's regression gate: a calibrated CPU spin per request, a sleep on
// a fraction of requests, retained heap (once, or more per request), 503
// answers to a fraction of requests, and extra headers sent upstream (so
// the app behind the proxy does more work). Everything is off by default;
// a proxy with any injection on must say so loudly (Config.Enabled).
package inject
