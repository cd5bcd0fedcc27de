// Package kindconfig embeds the kind cluster configurations of this
// directory so that `meshbench cluster create --config one-node|three-nodes`
// works from any directory; a path to a file of one's own works too.
package kindconfig
