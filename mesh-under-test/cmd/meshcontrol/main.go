// Command meshcontrol is the mesh's control plane: service registry, xDS
// over ADS, certificate authority. See mesh-under-test/control/app.
package main

import "github.com/meshbench/meshbench/mesh-under-test/control/app"

func main() { app.Main() }
