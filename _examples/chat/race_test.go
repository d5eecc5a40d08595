//go:build race

package main

// raceEnabled reports whether the test binary has the race detector; the browser test then
// builds the chat binary with it too.
const raceEnabled = true
