// Package h2test is a raw HTTP/2 load client for tests and benchmarks:
// it sends the same pre-encoded GET as HEADERS frames in batches, as
// h2load -m does, and reads frames until every stream of the batch has
// ended. It allocates nothing per stream, so that an allocation count
// taken around Batch is the server's alone.
package h2test
