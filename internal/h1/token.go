package h1

// IsToken reports whether s is a non-empty RFC 9110 token: a method or a
// header field name.
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenChar[s[i]] {
			return false
		}
	}
	return true
}
