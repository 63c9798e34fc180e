// Package deflate is Baton's own DEFLATE compressor (RFC 1951), with the
// zlib (RFC 1950) and gzip (RFC 1952) framings, built for compressing HTTP
// responses as they stream: fast and cheap per byte rather than small.
//
// # Model
//
// The encoder makes one greedy pass over its input. A hash of the next 4
// bytes indexes a table of the last position where 4 bytes with that hash
// were seen, with the 8 bytes found there; when the first 4 are the same
// (and the position within the 32 KiB a DEFLATE distance can reach), the
// match's length comes from comparing the stored 8 bytes, and from the
// window only when all 8 match, up to 258; it is sent as a length/distance
// pair. Otherwise the position moves on, faster and faster the longer
// nothing matched, so incompressible input costs little. There is no lazy
// matching, no search beyond the one candidate and no extension of a match
// backwards: each would shrink the output by a few percent for a larger
// share of the CPU.
//
// Codes are the fixed Huffman codes of RFC 1951 (block type 1), so there
// is no symbol counting and no code table to build or send: each literal
// or match goes to the bit stream as found. The output is larger than
// with dynamic codes (the bench's 64 KiB of text: 31,305 bytes, against
// 24,986 with klauspost/compress's level 1 and about 33,300 with libslz)
// for about half the CPU of klauspost's level 1 (bench/README.md); this is
// the trade HAProxy makes with libslz. A block (at most 32 KiB of input)
// that the fixed codes would make larger than its input is sent as a
// stored block instead, so random data grows by a few bytes per 32 KiB.
//
// # Streaming
//
// Input is kept in a window of the last 32 KiB already encoded plus up to
// 64 KiB not yet encoded; the pending part is encoded when the window is
// full, on Flush and on Close. Flush ends the current block and sends an
// empty stored block (the "sync flush" marker 00 00 ff ff), so what was
// written so far can be decompressed whole by the reader; a Flush with
// nothing new since the last one sends nothing. Close sends the final
// block and the framing's trailer (Adler-32 for zlib, CRC-32 and size for
// gzip).
//
// A Writer's buffers are allocated once (about 300 KiB); Reset starts a
// new stream on them without clearing the hash table (its positions are
// offsets from a base that Reset moves out of reach), so a pooled Writer
// compresses a response without allocating.
package deflate
