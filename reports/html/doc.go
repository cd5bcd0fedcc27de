// Package html renders a report as one self-contained HTML page: inline CSS,
// every plot embedded as a data: URI, relative links to the raw JSON, and
// no reference to anything on the network (published sources are cited as
// text, never linked), so the file reads the same offline, as a CI
// artifact, or from a laptop's disk.
package html
