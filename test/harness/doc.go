// Package harness starts the built baton binary and real loopback peers for
// end-to-end tests.
//
// Tests in test/... call Binary once (it builds ./cmd/baton into a
// temporary directory shared by the test process), write a configuration
// with the loopback ports they need, and Start a master. Every wait is a
// poll with a deadline, never a fixed sleep: Eventually is the one helper
// for that.
package harness
