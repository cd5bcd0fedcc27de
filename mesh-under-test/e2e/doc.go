// Package e2e runs the mesh as a user does: real meshcontrol and meshproxy
// processes on 127.0.0.1, configured only through a mesh file, with raw
// sockets in front and a recording app behind. Its tests show that what
// the mesh file asks for (authorization, rate limits, faults, path
// normalisation, refused upgrades) is enforced on the data path, and that
// a configuration a proxy rejects does not stop later good ones.
package e2e
