package cfgcond

import "strings"

// Release stages, in order: a development snapshot comes before a
// pre-release, which comes before a release candidate, then the release.
const (
	stageDev = iota
	stagePre
	stageRC
	stageRelease
)

// version is a parsed version: four numbers, the stage and its number,
// and the count of commits after the tag.
type version [7]uint64

// parseVersion reads "MAJOR[.MINOR[.PATCH[.SUB]]][-devN|-preN|-rcN][-COMMITS]";
// ok is false when s does not follow that form.
func parseVersion(s string) (v version, ok bool) {
	defer func() {
		if !ok {
			v = version{4: stageRelease} // unreadable: version 0
		}
	}()
	v[4] = stageRelease
	nums, rest, _ := strings.Cut(s, "-")
	parts := strings.Split(nums, ".")
	if len(parts) > 4 {
		return version{}, false
	}
	for i, part := range parts {
		n, ok := decimal(part)
		if !ok {
			return version{}, false
		}
		v[i] = n
	}
	if rest == "" {
		return v, !strings.HasSuffix(s, "-")
	}
	tag, commits, hasCommits := strings.Cut(rest, "-")
	if tag != "" && tag[0] >= '0' && tag[0] <= '9' {
		// "2.6.12-3": commits after the release. Anything after them
		// (Debian's "-1+deb12u4") does not count.
		v[6], _ = decimal(tag)
		return v, true
	}
	stage := -1
	for i, name := range []string{"dev", "pre", "rc"} {
		if strings.HasPrefix(tag, name) {
			stage, tag = i, tag[len(name):]
		}
	}
	if stage < 0 {
		return version{}, false
	}
	v[4] = uint64(stage)
	if tag != "" {
		n, ok := decimal(tag)
		if !ok {
			return version{}, false
		}
		v[5] = n
	}
	if hasCommits {
		v[6], _ = decimal(commits)
	}
	return v, true
}

// decimal reads a non-empty run of decimal digits.
func decimal(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + uint64(s[i]-'0')
	}
	return n, true
}

// CompareVersions returns -1, 0 or 1 as a is older than, the same as or
// newer than b. A version that cannot be read counts as 0.
func CompareVersions(a, b string) int {
	va, _ := parseVersion(a)
	vb, _ := parseVersion(b)
	for i := range va {
		switch {
		case va[i] < vb[i]:
			return -1
		case va[i] > vb[i]:
			return 1
		}
	}
	return 0
}
