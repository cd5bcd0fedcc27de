// Package procgroup runs a command as its own process group and kills the
// group as a whole when the command's context is cancelled: an interrupted
// gate must leave none of a build's grandchildren (compile, link) behind.
package procgroup
