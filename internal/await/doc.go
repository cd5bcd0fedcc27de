// Package await is the harness's one way to wait for a condition: poll it
// every interval (the first look at once) until it holds, for at most a
// bound, over apimachinery's wait.PollUntilContextTimeout. What it adds is
// the error: a wait that ends unmet names what was awaited, the bound (or
// the cancellation: a Ctrl-C ends a wait at once) and the last state the
// condition saw, in one form harness-wide.
//
// Waits only: loops that pace load, retry as part of a protocol, or wait
// on a channel (a process's exit) are not polls and do not use it.
package await
