//go:build race

package harness

// raceEnabled builds the binary under test with -race when the tests run
// with -race, so data races in the proxy fail the end-to-end tests too.
const raceEnabled = true
