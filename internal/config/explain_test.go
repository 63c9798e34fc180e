package config

import (
	"bytes"
	"strings"
	"testing"
)

func TestExplainExample(t *testing.T) {
	c, err := Load("../../examples/basic-http.cfg")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	Explain(&b, c)
	t.Log("\n" + b.String())
}

var _ = strings.Contains
