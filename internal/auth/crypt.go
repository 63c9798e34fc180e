package auth

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// crypt(3) hashes: SHA-512-crypt ($6$), SHA-256-crypt ($5$) and
// MD5-crypt ($1$), written from their published descriptions and
// checked against glibc's output (crypt_test.go); bcrypt ($2a$, $2b$,
// $2y$) is golang.org/x/crypto/bcrypt's, checked against mkpasswd and
// htpasswd.

const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// errScheme is returned for a hash of a scheme Baton cannot check.
var errScheme = errors.New("unsupported password hash (Baton checks $1$ MD5-crypt, $5$ SHA-256-crypt, $6$ SHA-512-crypt and bcrypt $2a$, $2b$, $2y$)")

// checkHash reports whether a hash is of a supported scheme.
func checkHash(h string) error {
	switch {
	case strings.HasPrefix(h, "$6$"), strings.HasPrefix(h, "$5$"), strings.HasPrefix(h, "$1$"):
		if strings.Count(h, "$") < 3 {
			return errors.New("malformed password hash")
		}
		return nil
	case isBcrypt(h):
		if _, err := bcrypt.Cost([]byte(h)); err != nil {
			return fmt.Errorf("malformed bcrypt hash: %v", err)
		}
		return nil
	}
	return errScheme
}

func isBcrypt(h string) bool {
	return strings.HasPrefix(h, "$2a$") || strings.HasPrefix(h, "$2b$") || strings.HasPrefix(h, "$2y$")
}

// Verify reports whether password matches the crypt(3) hash, comparing
// in constant time.
func Verify(hash, password string) bool {
	var got string
	switch {
	case strings.HasPrefix(hash, "$6$"):
		got = shaCrypt(sha512.New, "$6$", 64, password, hash[3:])
	case strings.HasPrefix(hash, "$5$"):
		got = shaCrypt(sha256.New, "$5$", 32, password, hash[3:])
	case strings.HasPrefix(hash, "$1$"):
		got = md5Crypt(password, hash[3:])
	case isBcrypt(hash):
		// Constant time inside; $2y$ is $2b$ under another name.
		return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
	default:
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(hash)) == 1
}

// b64 appends n characters of the 24-bit group b2 b1 b0, low bits first.
func b64(dst []byte, b2, b1, b0 byte, n int) []byte {
	w := uint(b2)<<16 | uint(b1)<<8 | uint(b0)
	for ; n > 0; n-- {
		dst = append(dst, itoa64[w&0x3f])
		w >>= 6
	}
	return dst
}

// repeatTo is block repeated (and cut) to n bytes.
func repeatTo(block []byte, n int) []byte {
	out := make([]byte, 0, n)
	for len(out)+len(block) <= n {
		out = append(out, block...)
	}
	return append(out, block[:n-len(out)]...)
}

// shaCrypt computes SHA-crypt; setting is what follows the magic:
// "[rounds=N$]salt[$...]".
func shaCrypt(newHash func() hash.Hash, magic string, size int, password, setting string) string {
	rounds, explicit := 5000, false
	if r, ok := strings.CutPrefix(setting, "rounds="); ok {
		if i := strings.IndexByte(r, '$'); i >= 0 {
			if n, err := strconv.Atoi(r[:i]); err == nil {
				rounds, explicit, setting = min(max(n, 1000), 999999999), true, r[i+1:]
			}
		}
	}
	salt := setting
	if i := strings.IndexByte(salt, '$'); i >= 0 {
		salt = salt[:i]
	}
	if len(salt) > 16 {
		salt = salt[:16]
	}
	p, s := []byte(password), []byte(salt)
	h := newHash()
	h.Write(p)
	h.Write(s)
	h.Write(p)
	b := h.Sum(nil)
	h.Reset()
	h.Write(p)
	h.Write(s)
	h.Write(repeatTo(b, len(p)))
	for n := len(p); n > 0; n >>= 1 {
		if n&1 != 0 {
			h.Write(b)
		} else {
			h.Write(p)
		}
	}
	a := h.Sum(nil)
	h.Reset()
	for range len(p) {
		h.Write(p)
	}
	pSeq := repeatTo(h.Sum(nil), len(p))
	h.Reset()
	for range 16 + int(a[0]) {
		h.Write(s)
	}
	sSeq := repeatTo(h.Sum(nil), len(s))
	c := cryptRounds(h, rounds, pSeq, sSeq, a)
	out := []byte(magic)
	if explicit {
		out = append(out, "rounds="+strconv.Itoa(rounds)+"$"...)
	}
	out = append(out, salt...)
	out = append(out, '$')
	if size == 64 {
		// The groups rotate: (0,21,42), (22,43,1), (44,2,23), ...
		for i := 0; i < 21; i++ {
			j := [3]int{i, i + 21, i + 42}
			k := i % 3
			out = b64(out, c[j[k]], c[j[(k+1)%3]], c[j[(k+2)%3]], 4)
		}
		return string(b64(out, 0, 0, c[63], 2))
	}
	// (0,10,20), (21,1,11), (12,22,2), ...
	out2 := out
	for i := 0; i < 10; i++ {
		j := [3]int{i, i + 10, i + 20}
		k := (3 - i%3) % 3
		out2 = b64(out2, c[j[k%3]], c[j[(k+1)%3]], c[j[(k+2)%3]], 4)
	}
	return string(b64(out2, 0, c[31], c[30], 3))
}

// cryptRounds is the stretching loop both schemes share: each round
// hashes the previous digest c with the password material p and the
// salt material s in an order set by the round's number.
func cryptRounds(h hash.Hash, rounds int, p, s, c []byte) []byte {
	for i := range rounds {
		h.Reset()
		if i&1 != 0 {
			h.Write(p)
		} else {
			h.Write(c)
		}
		if i%3 != 0 {
			h.Write(s)
		}
		if i%7 != 0 {
			h.Write(p)
		}
		if i&1 != 0 {
			h.Write(c)
		} else {
			h.Write(p)
		}
		c = h.Sum(c[:0])
	}
	return c
}

// md5Crypt computes MD5-crypt; setting is "salt[$...]".
func md5Crypt(password, setting string) string {
	salt := setting
	if i := strings.IndexByte(salt, '$'); i >= 0 {
		salt = salt[:i]
	}
	if len(salt) > 8 {
		salt = salt[:8]
	}
	p, s := []byte(password), []byte(salt)
	h := md5.New()
	h.Write(p)
	h.Write(s)
	h.Write(p)
	fin := h.Sum(nil)
	h.Reset()
	h.Write(p)
	h.Write([]byte("$1$"))
	h.Write(s)
	for n := len(p); n > 0; n -= 16 {
		h.Write(fin[:min(n, 16)])
	}
	for n := len(p); n > 0; n >>= 1 {
		if n&1 != 0 {
			h.Write([]byte{0})
		} else {
			h.Write(p[:1])
		}
	}
	fin = h.Sum(nil)
	fin = cryptRounds(h, 1000, p, s, fin)
	out := []byte("$1$" + salt + "$")
	for _, g := range [][3]int{{0, 6, 12}, {1, 7, 13}, {2, 8, 14}, {3, 9, 15}, {4, 10, 5}} {
		out = b64(out, fin[g[0]], fin[g[1]], fin[g[2]], 4)
	}
	return string(b64(out, 0, 0, fin[11], 2))
}
