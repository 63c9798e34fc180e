package deflate

import (
	"encoding/binary"
	"math/bits"
)

const (
	minMatch  = 4     // the hash covers 4 bytes
	maxMatch  = 258   // RFC 1951's longest match
	maxDist   = 32768 // and farthest distance
	hashBits  = 13
	blockSize = 32 << 10 // input per block: the unit of the stored fallback
	// skipLog: after 1<<skipLog positions without a match the search
	// steps 2 bytes at a time, then 3, and so on.
	skipLog = 5
)

// bitWriter packs bits, least significant first, into whole bytes of out;
// the last 0 to 7 bits wait in acc.
type bitWriter struct {
	out []byte
	acc uint64
	n   uint
}

// put adds the n low bits of v (at most 56).
func (w *bitWriter) put(v uint64, n uint) {
	w.acc |= v << w.n
	w.n += n
	for w.n >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.n -= 8
	}
}

// align pads with zero bits to a byte boundary.
func (w *bitWriter) align() {
	if w.n > 0 {
		w.out = append(w.out, byte(w.acc))
	}
	w.acc, w.n = 0, 0
}

// stored sends data (at most 65535 bytes) as a stored block.
func (w *bitWriter) stored(data []byte, final bool) {
	w.put(b2u(final), 3) // BFINAL, BTYPE 00
	w.align()
	w.out = binary.LittleEndian.AppendUint16(w.out, uint16(len(data)))
	w.out = binary.LittleEndian.AppendUint16(w.out, ^uint16(len(data)))
	w.out = append(w.out, data...)
}

// put is bitWriter.put for the encoding loop, on local variables the
// compiler keeps in registers: it adds the n low bits of v (at most 56)
// to the nb (below 8) bits of acc and stores 8 bytes at out[o:], of
// which the whole ones count. It returns the new o, acc and nb.
func put(out []byte, o int, acc uint64, nb uint, v uint64, n uint) (int, uint64, uint) {
	acc |= v << nb
	nb += n
	binary.LittleEndian.PutUint64(out[o:], acc)
	return o + int(nb>>3), acc >> (nb &^ 7), nb & 7
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func hash4(x uint32) uint32 { return (x * 0x9e3779b1) >> (32 - hashBits) }

func load32(b []byte, i int) uint32 { return binary.LittleEndian.Uint32(b[i:]) }

// matchLen is the length of the common prefix of a and b, at most len(b).
func matchLen(a, b []byte) int {
	n := 0
	for len(b)-n >= 8 && len(a)-n >= 8 {
		if x := binary.LittleEndian.Uint64(a[n:]) ^ binary.LittleEndian.Uint64(b[n:]); x != 0 {
			return n + bits.TrailingZeros64(x)>>3
		}
		n += 8
	}
	for n < len(b) && n < len(a) && a[n] == b[n] {
		n++
	}
	return n
}

// entry is a hash table entry: where 4 bytes with that hash were last
// seen (plus the base) and the 8 bytes there, so most candidates are
// refused, and most matches measured, without reading the window.
type entry struct {
	val uint64
	pos int32
}

type hashTable [1 << hashBits]entry

// fixedBlock sends src[start:] as one block with the fixed codes,
// matching against src[:start] too (src holds at most maxDist bytes
// before start that belong to the stream). out must have room for
// blockRoom(len(src)-start) bytes.
func fixedBlock(w *bitWriter, table *hashTable, base int, src []byte, start int, final bool) {
	out, o, acc, nb := w.out[:cap(w.out)], len(w.out), w.acc, w.n
	o, acc, nb = put(out, o, acc, nb, b2u(final)|1<<1, 3) // BFINAL, BTYPE 01
	end := len(src)
	lit := start // first byte not yet sent
	// The last 7 bytes go as literals: each search reads 8.
	s := start
	last := end - 8 // the last position searched
	var v uint64
	var h uint32
	var e entry
	if s <= last {
		v = binary.LittleEndian.Uint64(src[s:])
		h = hash4(uint32(v))
		e = table[h]
	}
	for s <= last {
		table[h] = entry{v, int32(s + base)}
		c := int(e.pos) - base
		// The next position if this one does not match: its entry is
		// read now, so the read overlaps the decision (a mispredicted
		// branch otherwise holds it back).
		next := s + 1 + (s-lit)>>skipLog
		nv := binary.LittleEndian.Uint64(src[min(next, last):])
		nh := hash4(uint32(nv))
		ne := table[nh]
		if uint32(e.val) != uint32(v) || c < 0 || s-c > maxDist || c >= s {
			s, v, h, e = next, nv, nh, ne
			continue
		}
		// The 4 bytes at c are those at s, and the table tells how many
		// of the next 4 are too; the window is read only past 8.
		var n int
		if d := e.val ^ v; d != 0 {
			n = bits.TrailingZeros64(d) >> 3
		} else {
			n = 8 + matchLen(src[c+8:], src[s+8:min(end, s+maxMatch)])
		}
		for ; lit+2 <= s; lit += 2 { // the literals, two at a time
			a, b := litCodes[src[lit]], litCodes[src[lit+1]]
			o, acc, nb = put(out, o, acc, nb, a.bits()|b.bits()<<a.len(), a.len()+b.len())
		}
		if lit < s {
			a := litCodes[src[lit]]
			o, acc, nb = put(out, o, acc, nb, a.bits(), a.len())
		}
		lc := lenCodes[n]
		db, dn := distCode(s - c)
		o, acc, nb = put(out, o, acc, nb, lc.bits()|db<<lc.len(), lc.len()+dn)
		s += n
		lit = s
		if s <= last {
			v = binary.LittleEndian.Uint64(src[s:])
			h = hash4(uint32(v))
			e = table[h]
		}
	}
	o, acc, nb = literals(out, o, acc, nb, src[lit:end])
	o, acc, nb = put(out, o, acc, nb, eobCode, 7)
	w.out, w.acc, w.n = out[:o], acc, nb
}

// literals sends the bytes of p as literals, four at a time (36 bits at
// most).
func literals(out []byte, o int, acc uint64, nb uint, p []byte) (int, uint64, uint) {
	for len(p) >= 4 {
		a, b, c, d := litCodes[p[0]], litCodes[p[1]], litCodes[p[2]], litCodes[p[3]]
		v := a.bits() | b.bits()<<a.len()
		n := a.len() + b.len()
		v |= c.bits() << n
		n += c.len()
		v |= d.bits() << n
		n += d.len()
		o, acc, nb = put(out, o, acc, nb, v, n)
		p = p[4:]
	}
	for _, b := range p {
		c := litCodes[b]
		o, acc, nb = put(out, o, acc, nb, c.bits(), c.len())
	}
	return o, acc, nb
}

// block sends src[start:] (at most blockSize bytes) as a fixed-code
// block or, when that would be larger, as a stored block. out must have
// room for the larger of the two.
func block(w *bitWriter, table *hashTable, base int, src []byte, start int, final bool) {
	o, acc, n := len(w.out), w.acc, w.n
	fixedBlock(w, table, base, src, start, final)
	size := len(src) - start
	if (len(w.out)-o)*8+int(w.n)-int(n) > 3+7+32+8*size {
		w.out, w.acc, w.n = w.out[:o], acc, n
		w.stored(src[start:], final)
	}
}

// blockRoom is the most output a block of n input bytes makes: 9 bits a
// literal, the block's header and end, a byte of alignment, and the 8
// bytes put stores at once.
func blockRoom(n int) int { return n + n/8 + 24 }
