package expr

import (
	"encoding/binary"
	"math/bits"
)

// XXH32, XXH64 and XXH3 (64-bit), as specified by the xxHash project
// (the algorithms HAProxy's xxh32, xxh64 and xxh3 converters use).

const (
	p32_1 = 0x9E3779B1
	p32_2 = 0x85EBCA77
	p32_3 = 0xC2B2AE3D
	p32_4 = 0x27D4EB2F
	p32_5 = 0x165667B1

	p64_1 = 0x9E3779B185EBCA87
	p64_2 = 0xC2B2AE3D27D4EB4F
	p64_3 = 0x165667B19E3779F9
	p64_4 = 0x85EBCA77C2B2AE63
	p64_5 = 0x27D4EB2F165667C5

	pMX1 = 0x165667919E3779F9
	pMX2 = 0x9FB21C651E98DF25
)

func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }
func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }

func xxh32(b []byte, seed uint32) uint32 {
	n := len(b)
	var h uint32
	round := func(acc, in uint32) uint32 {
		acc += in * p32_2
		return bits.RotateLeft32(acc, 13) * p32_1
	}
	if n >= 16 {
		v1 := seed + p32_1 + p32_2
		v2 := seed + p32_2
		v3 := seed
		v4 := seed - p32_1
		for len(b) >= 16 {
			v1 = round(v1, le32(b))
			v2 = round(v2, le32(b[4:]))
			v3 = round(v3, le32(b[8:]))
			v4 = round(v4, le32(b[12:]))
			b = b[16:]
		}
		h = bits.RotateLeft32(v1, 1) + bits.RotateLeft32(v2, 7) + bits.RotateLeft32(v3, 12) + bits.RotateLeft32(v4, 18)
	} else {
		h = seed + p32_5
	}
	h += uint32(n)
	for len(b) >= 4 {
		h += le32(b) * p32_3
		h = bits.RotateLeft32(h, 17) * p32_4
		b = b[4:]
	}
	for _, c := range b {
		h += uint32(c) * p32_5
		h = bits.RotateLeft32(h, 11) * p32_1
	}
	h ^= h >> 15
	h *= p32_2
	h ^= h >> 13
	h *= p32_3
	h ^= h >> 16
	return h
}

func xxh64Round(acc, in uint64) uint64 {
	acc += in * p64_2
	return bits.RotateLeft64(acc, 31) * p64_1
}

func xxh64Merge(acc, v uint64) uint64 {
	acc ^= xxh64Round(0, v)
	return acc*p64_1 + p64_4
}

func xxh64Avalanche(h uint64) uint64 {
	h ^= h >> 33
	h *= p64_2
	h ^= h >> 29
	h *= p64_3
	h ^= h >> 32
	return h
}

func xxh64(b []byte, seed uint64) uint64 {
	n := len(b)
	var h uint64
	if n >= 32 {
		v1 := seed + p64_1 + p64_2
		v2 := seed + p64_2
		v3 := seed
		v4 := seed - p64_1
		for len(b) >= 32 {
			v1 = xxh64Round(v1, le64(b))
			v2 = xxh64Round(v2, le64(b[8:]))
			v3 = xxh64Round(v3, le64(b[16:]))
			v4 = xxh64Round(v4, le64(b[24:]))
			b = b[32:]
		}
		h = bits.RotateLeft64(v1, 1) + bits.RotateLeft64(v2, 7) + bits.RotateLeft64(v3, 12) + bits.RotateLeft64(v4, 18)
		h = xxh64Merge(h, v1)
		h = xxh64Merge(h, v2)
		h = xxh64Merge(h, v3)
		h = xxh64Merge(h, v4)
	} else {
		h = seed + p64_5
	}
	h += uint64(n)
	for len(b) >= 8 {
		h ^= xxh64Round(0, le64(b))
		h = bits.RotateLeft64(h, 27)*p64_1 + p64_4
		b = b[8:]
	}
	if len(b) >= 4 {
		h ^= uint64(le32(b)) * p64_1
		h = bits.RotateLeft64(h, 23)*p64_2 + p64_3
		b = b[4:]
	}
	for _, c := range b {
		h ^= uint64(c) * p64_5
		h = bits.RotateLeft64(h, 11) * p64_1
	}
	return xxh64Avalanche(h)
}

// xxh3Secret is XXH3's default secret (kSecret).
var xxh3Secret = [192]byte{
	0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
	0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
	0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
	0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
	0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
	0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
	0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
	0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
	0xea, 0xc5, 0xac, 0x83, 0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
	0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26, 0x29, 0xd4, 0x68, 0x9e,
	0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc, 0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce,
	0x45, 0xcb, 0x3a, 0x8f, 0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e,
}

func mul128Fold64(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

func xxh3Avalanche(h uint64) uint64 {
	h ^= h >> 37
	h *= pMX1
	h ^= h >> 32
	return h
}

func xxh3rrmxmx(h uint64, n int) uint64 {
	h ^= bits.RotateLeft64(h, 49) ^ bits.RotateLeft64(h, 24)
	h *= pMX2
	h ^= (h >> 35) + uint64(n)
	h *= pMX2
	h ^= h >> 28
	return h
}

func xxh3Mix16(in, sec []byte, seed uint64) uint64 {
	return mul128Fold64(le64(in)^(le64(sec)+seed), le64(in[8:])^(le64(sec[8:])-seed))
}

// xxh3 is XXH3_64bits_withSeed.
func xxh3(b []byte, seed uint64) uint64 {
	n := len(b)
	sec := xxh3Secret[:]
	switch {
	case n == 0:
		return xxh64Avalanche(seed ^ (le64(sec[56:]) ^ le64(sec[64:])))
	case n <= 3:
		c1, c2, c3 := uint32(b[0]), uint32(b[n>>1]), uint32(b[n-1])
		combined := c1<<16 | c2<<24 | c3 | uint32(n)<<8
		flip := uint64(le32(sec)^le32(sec[4:])) + seed
		return xxh64Avalanche(uint64(combined) ^ flip)
	case n <= 8:
		seed ^= uint64(bits.ReverseBytes32(uint32(seed))) << 32
		in1, in2 := le32(b), le32(b[n-4:])
		flip := (le64(sec[8:]) ^ le64(sec[16:])) - seed
		in64 := uint64(in2) + uint64(in1)<<32
		return xxh3rrmxmx(in64^flip, n)
	case n <= 16:
		flip1 := (le64(sec[24:]) ^ le64(sec[32:])) + seed
		flip2 := (le64(sec[40:]) ^ le64(sec[48:])) - seed
		lo := le64(b) ^ flip1
		hi := le64(b[n-8:]) ^ flip2
		acc := uint64(n) + bits.ReverseBytes64(lo) + hi + mul128Fold64(lo, hi)
		return xxh3Avalanche(acc)
	case n <= 128:
		acc := uint64(n) * p64_1
		if n > 32 {
			if n > 64 {
				if n > 96 {
					acc += xxh3Mix16(b[48:], sec[96:], seed)
					acc += xxh3Mix16(b[n-64:], sec[112:], seed)
				}
				acc += xxh3Mix16(b[32:], sec[64:], seed)
				acc += xxh3Mix16(b[n-48:], sec[80:], seed)
			}
			acc += xxh3Mix16(b[16:], sec[32:], seed)
			acc += xxh3Mix16(b[n-32:], sec[48:], seed)
		}
		acc += xxh3Mix16(b, sec, seed)
		acc += xxh3Mix16(b[n-16:], sec[16:], seed)
		return xxh3Avalanche(acc)
	case n <= 240:
		acc := uint64(n) * p64_1
		for i := 0; i < 8; i++ {
			acc += xxh3Mix16(b[16*i:], sec[16*i:], seed)
		}
		accEnd := xxh3Mix16(b[n-16:], sec[136-17:], seed)
		acc = xxh3Avalanche(acc)
		for i := 8; i < n/16; i++ {
			accEnd += xxh3Mix16(b[16*i:], sec[16*(i-8)+3:], seed)
		}
		return xxh3Avalanche(acc + accEnd)
	}
	if seed != 0 {
		var custom [192]byte
		for i := 0; i < 192; i += 16 {
			binary.LittleEndian.PutUint64(custom[i:], le64(sec[i:])+seed)
			binary.LittleEndian.PutUint64(custom[i+8:], le64(sec[i+8:])-seed)
		}
		return xxh3Long(b, custom[:])
	}
	return xxh3Long(b, sec)
}

func xxh3Accumulate512(acc *[8]uint64, in, sec []byte) {
	for i := 0; i < 8; i++ {
		v := le64(in[8*i:])
		k := v ^ le64(sec[8*i:])
		acc[i^1] += v
		acc[i] += uint64(uint32(k)) * (k >> 32)
	}
}

func xxh3Long(b, sec []byte) uint64 {
	acc := [8]uint64{p32_3, p64_1, p64_2, p64_3, p64_4, p32_2, p64_5, p32_1}
	const stripeLen = 64
	stripesPerBlock := (len(sec) - stripeLen) / 8
	blockLen := stripeLen * stripesPerBlock
	n := len(b)
	blocks := (n - 1) / blockLen
	for bl := 0; bl < blocks; bl++ {
		base := b[bl*blockLen:]
		for s := 0; s < stripesPerBlock; s++ {
			xxh3Accumulate512(&acc, base[s*stripeLen:], sec[s*8:])
		}
		scr := sec[len(sec)-stripeLen:]
		for i := 0; i < 8; i++ {
			a := acc[i]
			a ^= a >> 47
			a ^= le64(scr[8*i:])
			a *= p32_1
			acc[i] = a
		}
	}
	stripes := ((n - 1) - blockLen*blocks) / stripeLen
	base := b[blocks*blockLen:]
	for s := 0; s < stripes; s++ {
		xxh3Accumulate512(&acc, base[s*stripeLen:], sec[s*8:])
	}
	xxh3Accumulate512(&acc, b[n-stripeLen:], sec[len(sec)-stripeLen-7:])
	result := uint64(n) * p64_1
	ms := sec[11:]
	for i := 0; i < 4; i++ {
		result += mul128Fold64(acc[2*i]^le64(ms[16*i:]), acc[2*i+1]^le64(ms[16*i+8:]))
	}
	return xxh3Avalanche(result)
}

// XXH64 is the 64-bit xxHash of b (HAProxy's dynamic server cookies use
// it).
func XXH64(b []byte, seed uint64) uint64 { return xxh64(b, seed) }
