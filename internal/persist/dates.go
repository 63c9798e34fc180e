package persist

// Dates of an inserted cookie (maxidle, maxlife). As in HAProxy, the
// value is "SRV|LAST" with maxidle, "SRV|LAST|FIRST" with maxlife: each
// date is a Unix time divided by 4 (the 30 bits that fit), written as 5
// characters of the base64 alphabet, most significant first, so that
// cookies issued by HAProxy keep working after a move to Baton, and the
// other way round.

const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// futureSlack is how far in the future a date may be (clock skew between
// the machines that issued it): beyond it the cookie is ignored.
const futureSlack = 86399

// Dates are what an inserted cookie's value said about itself.
type Dates struct {
	// Last and First are the last-seen and first-seen dates, Unix
	// seconds; 0 means the value had none.
	Last, First int64
	// Expired: idle longer than maxidle (or last seen in the future);
	// Old: first seen longer ago than maxlife (or in the future). Either
	// makes the cookie ignored.
	Expired, Old bool
}

// splitDates cuts "SRV|LAST[|FIRST]" into SRV and its dates and judges
// them at now. A value without '|' has no dates; a malformed date counts
// as absent.
func (k *Cookie) splitDates(v []byte, now int64) ([]byte, Dates) {
	var d Dates
	i := 0
	for i < len(v) && v[i] != '|' {
		i++
	}
	if i == len(v) {
		return v, d
	}
	srv, rest := v[:i], v[i+1:]
	if t, ok := decodeDate(rest); ok {
		d.Last = t
		if len(rest) > 5 && rest[5] == '|' {
			if t, ok := decodeDate(rest[6:]); ok {
				d.First = t
			}
		}
	}
	if maxIdle := int64(k.cfg.MaxIdle.Seconds()); maxIdle > 0 && d.Last != 0 {
		d.Expired = d.Last > now+futureSlack || d.Last+maxIdle <= now
	}
	if maxLife := int64(k.cfg.MaxLife.Seconds()); maxLife > 0 && d.First != 0 {
		d.Old = d.First > now+futureSlack || d.First+maxLife <= now
	}
	return srv, d
}

// refresh says whether a valid cookie must be set again to carry new
// dates: its last-seen date passed (or it has none and maxidle wants
// one), maxlife wants a first-seen date it lacks, or it has one that no
// maxlife wants any more.
func (k *Cookie) refresh(d Dates, now int64) bool {
	idle, life := k.cfg.MaxIdle > 0, k.cfg.MaxLife > 0
	switch {
	case (idle || d.Last != 0) && (d.Last == 0 || d.Last < now):
		return true
	case life && d.First == 0:
		return true
	case !life && d.First != 0:
		return true
	}
	return false
}

// appendDates appends "|LAST[|FIRST]" when maxidle or maxlife is set:
// LAST is now rounded up to the next 4 seconds, FIRST the cookie's own
// first date if it had one, else the same.
func (k *Cookie) appendDates(dst []byte, d Dates, now int64) []byte {
	if k.cfg.MaxIdle <= 0 && k.cfg.MaxLife <= 0 {
		return dst
	}
	dst = append(dst, '|')
	dst = encodeDate(dst, (now+3)>>2)
	if k.cfg.MaxLife > 0 {
		first := (now + 3) >> 2
		if d.First != 0 {
			first = d.First >> 2
		}
		dst = append(dst, '|')
		dst = encodeDate(dst, first)
	}
	return dst
}

// encodeDate appends the low 30 bits of q as 5 characters.
func encodeDate(dst []byte, q int64) []byte {
	for shift := 24; shift >= 0; shift -= 6 {
		dst = append(dst, b64Alphabet[(q>>uint(shift))&0x3f])
	}
	return dst
}

// decodeDate reads 5 characters written by encodeDate, as Unix seconds.
func decodeDate(b []byte) (int64, bool) {
	if len(b) < 5 {
		return 0, false
	}
	var q int64
	for _, c := range b[:5] {
		var v int64
		switch {
		case c >= 'A' && c <= 'Z':
			v = int64(c - 'A')
		case c >= 'a' && c <= 'z':
			v = int64(c-'a') + 26
		case c >= '0' && c <= '9':
			v = int64(c-'0') + 52
		case c == '+':
			v = 62
		case c == '/':
			v = 63
		default:
			return 0, false
		}
		q = q<<6 | v
	}
	return q << 2, true
}
