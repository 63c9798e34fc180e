package deflate

import "math/bits"

// The fixed Huffman codes of RFC 1951, section 3.2.6, already reversed:
// Huffman codes are packed starting with their most significant bit, the
// bit writer starts with the least significant one.

// code is a bit string ready for the bit writer: its bits in the low
// 24 bits, its length in the high 8.
type code uint32

func (c code) bits() uint64 { return uint64(c & 0xffffff) }
func (c code) len() uint    { return uint(c >> 24) }

func mkcode(bits uint32, n uint) code { return code(bits | uint32(n)<<24) }

// reverse returns the n low bits of v in reverse order.
func reverse(v uint32, n uint) uint32 { return bits.Reverse32(v) >> (32 - n) }

const eobCode = 0 // symbol 256: the 7-bit code 0000000

var (
	// litCodes is the code of each literal byte.
	litCodes [256]code
	// lenCodes is, for a match length of 3 to 258, its length symbol's
	// code followed by the symbol's extra bits.
	lenCodes [259]code
	// distSyms is the 5-bit code of each of the 30 distance symbols.
	distSyms [30]uint32
)

func init() {
	for b := 0; b < 256; b++ {
		if b < 144 {
			litCodes[b] = mkcode(reverse(uint32(0x30+b), 8), 8)
		} else {
			litCodes[b] = mkcode(reverse(uint32(0x190+b-144), 9), 9)
		}
	}
	// Length symbols 257-285: base length and extra bits.
	sym, base := 257, 3
	for extra := uint(0); extra <= 5; extra++ {
		groups := 4
		if extra == 0 {
			groups = 8
		}
		for g := 0; g < groups; g++ {
			for e := 0; e < 1<<extra; e++ {
				lenCodes[base+e] = withExtra(symCode(sym), uint32(e), extra)
			}
			sym++
			base += 1 << extra
		}
	}
	lenCodes[258] = symCode(285) // 258 has its own symbol, not 284+31
	for d := range distSyms {
		distSyms[d] = reverse(uint32(d), 5)
	}
}

// symCode is the fixed code of a length symbol (257-287).
func symCode(sym int) code {
	if sym < 280 {
		return mkcode(reverse(uint32(sym-256), 7), 7)
	}
	return mkcode(reverse(uint32(0xc0+sym-280), 8), 8)
}

func withExtra(c code, v uint32, n uint) code {
	return mkcode(uint32(c.bits())|v<<c.len(), c.len()+n)
}

// distCode returns the bits of a distance of 1 to 32768: its symbol's
// code followed by the extra bits, and their count.
func distCode(dist int) (uint64, uint) {
	v := uint32(dist - 1)
	if v < 4 {
		return uint64(distSyms[v]), 5
	}
	extra := uint(bits.Len32(v)) - 2
	sym := 2*(extra+1) + uint(v>>extra)&1
	return uint64(distSyms[sym]) | uint64(v&(1<<extra-1))<<5, 5 + extra
}
