package cache

// Object is one stored object as "show cache" lists it.
type Object struct {
	// KeyHash is the primary key's hash; Pos the object's ring position
	// (its identity while it lives).
	KeyHash, Pos uint64
	Variant
	// Len is the object's bytes in the ring (key, head and body with
	// their header); Expire is unix milliseconds.
	Len    int
	Expire int64
}

// Walk calls fn for every live object, bucket by bucket (each under its
// lock, so fn must not call back into the store); now is unix
// milliseconds. It returns the bytes the live objects take.
func (s *Store) Walk(now int64, fn func(Object)) (used int64) {
	for b := uint64(0); b < s.nb; b++ {
		bo := hWords + b*bucketWords
		s.lock(bo)
		for i := 0; i < slotsPerBucket; i++ {
			so := slot(bo, i)
			if s.w[so+sKey] == 0 || !s.live(s.w[so+sPos]) || int64(s.w[so+sExpire]) <= now {
				continue
			}
			o := Object{KeyHash: s.w[so+sKey], Pos: s.w[so+sPos], Len: int(s.w[so+sLen]), Expire: int64(s.w[so+sExpire]),
				Variant: Variant{Vary: int(s.w[so+sVary] & 0xff), Enc: s.w[so+sEnc], Ref: s.w[so+sRef]}}
			used += int64(o.Len)
			if fn != nil {
				fn(o)
			}
		}
		s.unlock(bo)
	}
	return used
}
