package expr

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"hash"
	"hash/crc32"
	"strings"
)

// Hash and digest converters. The 32-bit hashes are HAProxy's (the ones
// its hash-based balancing uses), with its optional full avalanche.

func init() {
	for _, c := range []*Conv{
		{Name: "sdbm", Args: []ArgType{ArgInt}, In: Bin, Out: Int, Eval: hash32(sdbm)},
		{Name: "djb2", Args: []ArgType{ArgInt}, In: Bin, Out: Int, Eval: hash32(djb2)},
		{Name: "wt6", Args: []ArgType{ArgInt}, In: Bin, Out: Int, Eval: hash32(wt6)},
		{Name: "crc32", Args: []ArgType{ArgInt}, In: Bin, Out: Int, Eval: hash32(crc32.ChecksumIEEE)},
		{Name: "crc32c", Args: []ArgType{ArgInt}, In: Bin, Out: Int, Eval: hash32(func(b []byte) uint32 { return crc32.Checksum(b, castagnoli) })},
		{Name: "xxh32", Args: []ArgType{ArgInt}, In: Bin, Out: Int, Eval: func(c *Ctx, a []Arg, s *Sample) bool {
			s.SetInt(int64(xxh32(s.Bytes, uint32(a[0].Int))))
			return true
		}},
		{Name: "xxh64", Args: []ArgType{ArgInt}, In: Bin, Out: Int, Eval: func(c *Ctx, a []Arg, s *Sample) bool {
			s.SetInt(int64(xxh64(s.Bytes, uint64(a[0].Int))))
			return true
		}},
		{Name: "xxh3", Args: []ArgType{ArgInt}, In: Bin, Out: Int, Eval: func(c *Ctx, a []Arg, s *Sample) bool {
			s.SetInt(int64(xxh3(s.Bytes, uint64(a[0].Int))))
			return true
		}},
		{Name: "sha1", In: Bin, Out: Bin, Eval: func(c *Ctx, _ []Arg, s *Sample) bool {
			sum := sha1.Sum(s.Bytes)
			return c.setBin(s, sum[:])
		}},
		{Name: "sha2", Args: []ArgType{ArgInt}, In: Bin, Out: Bin, Check: func(a []Arg, _ *Env) error {
			switch a[0].Int {
			case 0, 224, 256, 384, 512:
				return nil
			}
			return fmt.Errorf("bits %d: want 224, 256, 384 or 512", a[0].Int)
		}, Eval: func(c *Ctx, a []Arg, s *Sample) bool {
			switch a[0].Int {
			case 224:
				sum := sha256.Sum224(s.Bytes)
				return c.setBin(s, sum[:])
			case 384:
				sum := sha512.Sum384(s.Bytes)
				return c.setBin(s, sum[:])
			case 512:
				sum := sha512.Sum512(s.Bytes)
				return c.setBin(s, sum[:])
			}
			sum := sha256.Sum256(s.Bytes)
			return c.setBin(s, sum[:])
		}},
		{Name: "digest", Args: []ArgType{ArgStr}, MinArgs: 1, In: Bin, Out: Bin, Check: checkDigest(0), Eval: func(c *Ctx, a []Arg, s *Sample) bool {
			h := a[0].Data.(func() hash.Hash)()
			h.Write(s.Bytes)
			start := len(c.buf)
			c.buf = h.Sum(c.buf)
			s.SetBin(c.take(start))
			return true
		}},
		{Name: "hmac", Args: []ArgType{ArgStr, ArgStr}, MinArgs: 2, In: Bin, Out: Bin, Check: checkHMAC, Eval: func(c *Ctx, a []Arg, s *Sample) bool {
			key := a[1].Bytes
			if a[1].IsVar {
				var v Sample
				if !c.GetVar(a[1].Var, &v) || !c.Cast(&v, Str) {
					return false
				}
				k, err := base64.StdEncoding.DecodeString(string(v.Bytes))
				if err != nil {
					return false
				}
				key = k
			}
			m := hmac.New(a[0].Data.(func() hash.Hash), key)
			m.Write(s.Bytes)
			start := len(c.buf)
			c.buf = m.Sum(c.buf)
			s.SetBin(c.take(start))
			return true
		}},
	} {
		RegisterConv(c)
	}
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func (c *Ctx) setBin(s *Sample, b []byte) bool {
	start := len(c.buf)
	c.buf = append(c.buf, b...)
	s.SetBin(c.take(start))
	return true
}

// hash32 applies a 32-bit hash; an argument of 1 adds the full avalanche.
func hash32(h func([]byte) uint32) func(*Ctx, []Arg, *Sample) bool {
	return func(c *Ctx, a []Arg, s *Sample) bool {
		v := h(s.Bytes)
		if a[0].Int == 1 {
			v = fullHash(v)
		}
		s.SetInt(int64(v))
		return true
	}
}

// digests are the OpenSSL digest names Go's standard library provides.
var digests = map[string]func() hash.Hash{
	"md5": md5.New, "sha1": sha1.New, "sha224": sha256.New224, "sha256": sha256.New,
	"sha384": sha512.New384, "sha512": sha512.New, "sha512-224": sha512.New512_224, "sha512-256": sha512.New512_256,
	"sha3-224": func() hash.Hash { return sha3.New224() }, "sha3-256": func() hash.Hash { return sha3.New256() },
	"sha3-384": func() hash.Hash { return sha3.New384() }, "sha3-512": func() hash.Hash { return sha3.New512() },
}

func checkDigest(i int) func([]Arg, *Env) error {
	return func(a []Arg, _ *Env) error {
		h, ok := digests[strings.ToLower(a[i].Str)]
		if !ok {
			return fmt.Errorf("unknown digest %q (md5, sha1, sha224, sha256, sha384, sha512, sha512-224, sha512-256, sha3-224, sha3-256, sha3-384, sha3-512)", a[i].Str)
		}
		a[i].Data = h
		return nil
	}
}

// checkHMAC prepares hmac's digest and key: a base64 string, or a
// variable holding one.
func checkHMAC(a []Arg, env *Env) error {
	if err := checkDigest(0)(a, env); err != nil {
		return err
	}
	if looksLikeVar(a[1].Str) {
		r, err := env.declare(a[1].Str)
		if err != nil {
			return err
		}
		a[1].Var, a[1].IsVar = r, true
		return nil
	}
	k, err := base64.StdEncoding.DecodeString(a[1].Str)
	if err != nil {
		return fmt.Errorf("key %q is not base64", a[1].Str)
	}
	a[1].Bytes = k
	return nil
}

func looksLikeVar(s string) bool {
	scope, _, ok := strings.Cut(s, ".")
	_, known := scopeNames[scope]
	return ok && known
}

func sdbm(b []byte) uint32 {
	var h uint32
	for _, c := range b {
		h = uint32(c) + h<<6 + h<<16 - h
	}
	return h
}

// sdbmChars continues an sdbm hash over b read as signed chars, as
// HAProxy's base32 does.
func sdbmChars(h uint32, b []byte) uint32 {
	for _, c := range b {
		h = uint32(int32(int8(c))) + h<<6 + h<<16 - h
	}
	return h
}

func djb2(b []byte) uint32 {
	h := uint32(5381)
	for _, c := range b {
		h = h<<5 + h + uint32(c)
	}
	return h
}

func wt6(b []byte) uint32 {
	h0, h1 := uint32(0xa53c965a), uint32(0x5ca6953a)
	step0, step1 := uint32(6), uint32(18)
	for _, c := range b {
		t := uint32(c)
		h0 = ^(h0 ^ t)
		h1 = ^(h1 + t)
		t = h1<<step0 | h1>>(32-step0)
		h1 = h0<<step1 | h0>>(32-step1)
		h0 = t
		t = (h0>>16 ^ h1) & 0xffff
		step0 = t & 0x1f
		step1 = t >> 11
	}
	return h0 ^ h1
}

// fullHash is the avalanche HAProxy applies to hash results: Bob
// Jenkins' 32-bit integer hash, then a multiplication by a large prime
// (HAProxy's __full_hash).
func fullHash(a uint32) uint32 {
	a = (a + 0x7ed55d16) + (a << 12)
	a = (a ^ 0xc761c23c) ^ (a >> 19)
	a = (a + 0x165667b1) + (a << 5)
	a = (a + 0xd3a2646c) ^ (a << 9)
	a = (a + 0xfd7046c5) + (a << 3)
	a = (a ^ 0xb55a4f09) ^ (a >> 16)
	return a * 3221225473
}
