// Command meshbench is the harness's CLI; see cli (the commands, above the library).
package main

import "github.com/meshbench/meshbench/cli"

func main() { cli.Main() }
