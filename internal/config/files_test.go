package config

import (
	"strings"
	"testing"
)

// TestDefaultPathResolution: relative file names follow default-path, per
// configuration file; absolute ones never change.
func TestDefaultPathResolution(t *testing.T) {
	var asked []string
	opt := Options{ReadFile: func(name string) ([]byte, error) {
		asked = append(asked, name)
		return []byte("HTTP/1.1 503 X\r\nContent-Length: 0\r\n\r\n"), nil
	}}
	srcs := []Source{
		{Name: "/etc/b/main.cfg", Data: []byte("global\n  default-path config\ndefaults\n  mode http\n  errorfile 503 e/a.http\n  errorfile 502 /abs/b.http\n")},
		{Name: "/srv/conf.d/more.cfg", Data: []byte("defaults\n  errorfile 503 e/c.http\nglobal\n  default-path parent\ndefaults\n  errorfile 503 e/d.http\n" +
			"global\n  default-path origin /o\ndefaults\n  errorfile 503 e/e.http\nglobal\n  default-path current\ndefaults\n  errorfile 503 e/f.http\n")},
		{Name: "rel.cfg", Data: []byte("global\n  default-path config\ndefaults\n  errorfile 503 e/g.http\n")},
	}
	if _, err := ParseSourcesWith(srcs, opt); err != nil {
		t.Fatal(err)
	}
	want := "/etc/b/e/a.http /abs/b.http /srv/conf.d/e/c.http /srv/e/d.http /o/e/e.http e/f.http e/g.http"
	if got := strings.Join(asked, " "); got != want {
		t.Errorf("files read %q, want %q", got, want)
	}
}

func TestFilesReader(t *testing.T) {
	c, err := parsePages(t, "defaults\n  mode http\n  errorfile 503 /e/503.http\n  errorfile 502 /e/503.http\n  http-error status 504 content-type text/plain file /e/body.txt\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Files) != 2 || c.Files[0].Name != "/e/503.http" || c.Files[1].Name != "/e/body.txt" {
		t.Fatalf("Files = %+v; want each file once, in the order read", c.Files)
	}
	// A worker parses the same text with only those bytes.
	src := []Source{{Name: "t.cfg", Data: []byte("defaults\n  mode http\n  errorfile 503 /e/503.http\n  http-error status 504 content-type text/plain file /e/body.txt\n")}}
	if _, err := ParseSourcesWith(src, Options{ReadFile: FilesReader(c.Files)}); err != nil {
		t.Errorf("with the master's files: %v", err)
	}
	src[0].Data = append(src[0].Data, "  errorfile 502 /e/502.http\n"...)
	if _, err := ParseSourcesWith(src, Options{ReadFile: FilesReader(c.Files)}); err == nil || !strings.Contains(err.Error(), "not among the files the master read") {
		t.Errorf("a file the master did not read: %v", err)
	}
}
