package h1

// The byte offsets of parse errors, for "show errors": the position of
// the first byte the parser rejects. The parser itself reports no
// position (its errors are preallocated values); ErrorOffset finds it
// on the cold path by parsing ever longer prefixes of the rejected head:
// a prefix is incomplete until it includes the offending byte, and
// rejected from there on, so a binary search over the prefix length
// finds it in a few parses.

// RequestErrorOffset returns the offset of the byte at which
// ParseRequest rejects b (len(b) when no prefix is rejected).
func RequestErrorOffset(b []byte, lim *Limits) int {
	var r Request
	return errorOffset(len(b), func(n int) bool { return rejects(ParseRequest(b[:n], &r, lim)) })
}

// ResponseErrorOffset is RequestErrorOffset for ParseResponse.
func ResponseErrorOffset(b []byte, isHead bool, lim *Limits) int {
	var r Response
	return errorOffset(len(b), func(n int) bool { return rejects(ParseResponse(b[:n], &r, isHead, lim)) })
}

func rejects(err error) bool { return err != nil && err != ErrIncomplete }

// errorOffset finds the smallest n for which rejected(n) holds and
// returns n-1, the last byte of that prefix.
func errorOffset(size int, rejected func(n int) bool) int {
	lo, hi := 1, size
	if size == 0 || !rejected(size) {
		return size
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if rejected(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo - 1
}
