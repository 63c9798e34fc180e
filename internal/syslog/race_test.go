//go:build race

package syslog

// The race detector allocates on its own; allocation counts are only
// meaningful without it.
const raceEnabled = true
