package expr

import "hash/crc32"

// Hash32 is HAProxy's hash function name (sdbm, djb2, wt6, crc32; ""
// is sdbm) over b, for the hashing balance algorithms.
func Hash32(name string, b []byte) uint32 {
	switch name {
	case "djb2":
		return djb2(b)
	case "wt6":
		return wt6(b)
	case "crc32":
		// crc32.ChecksumIEEE would make b escape (and the callers'
		// stack buffers move to the heap).
		c := ^uint32(0)
		for _, x := range b {
			c = crc32.IEEETable[byte(c)^x] ^ c>>8
		}
		return ^c
	}
	return sdbm(b)
}

// Avalanche mixes a hash's bits as HAProxy's "avalanche" does.
func Avalanche(h uint32) uint32 { return fullHash(h) }
