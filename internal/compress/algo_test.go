package compress

import (
	"testing"

	"baton/internal/h1"
)

func hdrs(kv ...string) []h1.Header {
	var h []h1.Header
	for i := 0; i+1 < len(kv); i += 2 {
		h = append(h, h1.Header{Name: []byte(kv[i]), Value: []byte(kv[i+1])})
	}
	return h
}

// TestChoose: the expectations were checked against HAProxy 2.6.12 with
// "compression algo gzip deflate" (priority deflate, gzip) unless noted.
func TestChoose(t *testing.T) {
	gd := []Algo{Deflate, Gzip} // "compression algo gzip deflate"
	tests := []struct {
		name  string
		algos []Algo
		h     []h1.Header
		want  Algo
	}{
		{"gzip", gd, hdrs("Accept-Encoding", "gzip"), Gzip},
		{"case aside", gd, hdrs("accept-encoding", "GZIP"), Gzip},
		{"higher q wins", gd, hdrs("Accept-Encoding", "deflate;q=0.5, gzip;q=0.4"), Deflate},
		{"tie: first listed", gd, hdrs("Accept-Encoding", "gzip, deflate"), Gzip},
		{"tie: first listed 2", gd, hdrs("Accept-Encoding", "deflate, gzip"), Deflate},
		{"tie with trailing zeros", gd, hdrs("Accept-Encoding", "gzip;q=0.5, deflate;q=0.500"), Gzip},
		{"star: configured last", gd, hdrs("Accept-Encoding", "*"), Deflate},
		{"star weighed", gd, hdrs("Accept-Encoding", "*;q=0.3, gzip;q=0.2"), Deflate},
		{"q=0 refuses", gd, hdrs("Accept-Encoding", "gzip;q=0, deflate;q=0"), None},
		{"tiny q", gd, hdrs("Accept-Encoding", "gzip;q=0.001"), Gzip},
		{"other params first", gd, hdrs("Accept-Encoding", "gzip;foo=1;q=0.1, deflate;q=0.2"), Deflate},
		{"spaces around", gd, hdrs("Accept-Encoding", "gzip ;q=0.3, deflate; q=0.2"), Gzip},
		{"q above 1 is 1", gd, hdrs("Accept-Encoding", "deflate;q=1.5, gzip;q=1"), Deflate},
		{"Q upper case is no q", gd, hdrs("Accept-Encoding", "deflate;Q=0.1, gzip;q=0.2"), Deflate},
		{"q without digit is 1", gd, hdrs("Accept-Encoding", "deflate;q=.5 , gzip;q=0.2"), Deflate},
		{"not a prefix match", gd, hdrs("Accept-Encoding", "gzipx, xgzip"), None},
		{"x-gzip unknown", gd, hdrs("Accept-Encoding", "x-gzip"), None},
		{"identity token not configured", gd, hdrs("Accept-Encoding", "identity, gzip;q=0.1"), Gzip},
		{"unknown only", gd, hdrs("Accept-Encoding", "br"), None},
		{"several fields", gd, hdrs("Accept-Encoding", "deflate", "Accept-Encoding", "gzip;q=2"), Deflate},
		{"no header", gd, nil, None},
		{"empty elements", gd, hdrs("Accept-Encoding", " , ,gzip,"), Gzip},
		{"identity without header", []Algo{Identity}, nil, Identity},
		{"identity fallback", []Algo{Gzip, Identity}, hdrs("Accept-Encoding", "br"), Identity},
		{"raw-deflate answers deflate", []Algo{Gzip, RawDeflate, Deflate}, hdrs("Accept-Encoding", "deflate"), RawDeflate},
		{"no algos", nil, hdrs("Accept-Encoding", "gzip"), None},
		{"old mozilla", gd, hdrs("User-Agent", "Mozilla/4.0 (compatible; MSIE 5.0; Windows NT 5.1)", "Accept-Encoding", "gzip"), None},
		{"MSIE 7", gd, hdrs("User-Agent", "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 5.1)", "Accept-Encoding", "gzip"), Gzip},
		{"MSIE 6 SV1", gd, hdrs("User-Agent", "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)", "Accept-Encoding", "gzip"), Gzip},
		{"MSIE 6 without SP2", gd, hdrs("User-Agent", "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)", "Accept-Encoding", "gzip"), None},
		{"modern mozilla", gd, hdrs("User-Agent", "Mozilla/5.0 (X11; Linux x86_64)", "Accept-Encoding", "gzip"), Gzip},
	}
	for _, tt := range tests {
		if got := Choose(tt.algos, tt.h); got != tt.want {
			t.Errorf("%s: Choose = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseQ(t *testing.T) {
	for in, want := range map[string]int{"0": 0, "1": 1000, "0.5": 500, "0.500": 500, "0.123": 123, "0.1234": 123, "2": 1000,
		"1.5": 1000, "": 1000, "abc": 1000, ".5": 1000, "0.": 0, "0.0x": 0, "0.05": 50} {
		if got := parseQ([]byte(in)); got != want {
			t.Errorf("parseQ(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestParseAlgo(t *testing.T) {
	for _, a := range []Algo{Identity, Deflate, RawDeflate, Gzip} {
		if got, ok := ParseAlgo(a.String()); !ok || got != a {
			t.Errorf("ParseAlgo(%q) = %v, %v", a.String(), got, ok)
		}
	}
	for _, s := range []string{"", "br", "GZIP", "zstd"} {
		if _, ok := ParseAlgo(s); ok {
			t.Errorf("ParseAlgo(%q) accepted", s)
		}
	}
	if RawDeflate.Token() != "deflate" || Gzip.Token() != "gzip" {
		t.Error("tokens")
	}
}

// FuzzChoose: any Accept-Encoding and User-Agent give either None or one
// of the configured algorithms, without panicking.
func FuzzChoose(f *testing.F) {
	for _, s := range []string{"gzip", "deflate;q=0.5, gzip;q=0.4", "*;q=0", "gzip;q=", "gzip;q", ";;;", "gzip ; q=0.1 ; x", ","} {
		f.Add(s, "Mozilla/5.0")
	}
	f.Add("gzip", "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)")
	f.Fuzz(func(t *testing.T, ae, ua string) {
		algos := []Algo{Gzip, RawDeflate, Identity}
		got := Choose(algos, hdrs("User-Agent", ua, "Accept-Encoding", ae))
		if got == None {
			if len(ua) < 9 || ua[:9] != "Mozilla/4" {
				t.Fatalf("None with identity configured for %q", ae)
			}
			return
		}
		ok := false
		for _, a := range algos {
			ok = ok || a == got
		}
		if !ok {
			t.Fatalf("Choose = %v, not configured", got)
		}
	})
}
