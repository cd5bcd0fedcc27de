// Command meshbench is the harness's CLI; see harness/cli.
package main

import "github.com/meshbench/meshbench/harness/cli"

func main() { cli.Main() }
