// Package inject deliberately makes the proxy worse, for validating the
// harness's regression gate: a calibrated CPU spin per request, a sleep on
// a fraction of requests, and retained heap. Everything is off by default;
// a proxy with any injection on must say so loudly (Config.Enabled).
package inject
