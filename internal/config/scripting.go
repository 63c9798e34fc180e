package config

import "strings"

// Lua and SPOE hand requests to code outside the proxy: a Lua script it
// would run, or an agent it would talk to over SPOP. Baton embeds no
// scripting engine, so their keywords are refused with a message saying
// so, still in the words measure.sh and the other errors use ("is a
// HAProxy keyword that Baton does not support").

// scriptingMessage returns the error for a line using Lua or SPOE, or "".
func scriptingMessage(w []string) string {
	const lua = "Baton does not embed a scripting engine (Lua)"
	const spoe = "Baton does not embed a scripting engine and does not speak SPOP to stream-processing agents (SPOE)"
	kw := w[0]
	if strings.HasPrefix(kw, "lua-") || strings.HasPrefix(kw, "tune.lua.") {
		return quoteUnsupported(kw) + ": " + lua
	}
	if len(w) < 2 {
		return ""
	}
	two := kw + " " + w[1]
	switch {
	case (kw == "http-request" || kw == "http-response" || kw == "tcp-request" || kw == "tcp-response" || kw == "http-after-response") &&
		strings.HasPrefix(w[1], "lua."):
		return quoteUnsupported(two) + ": " + lua
	case kw == "tcp-request" && w[1] == "content" && len(w) > 2 && (strings.HasPrefix(w[2], "lua.") || w[2] == "use-service" && len(w) > 3 && strings.HasPrefix(w[3], "lua.")):
		return quoteUnsupported(two) + " with a Lua action: " + lua
	case (kw == "http-request" || kw == "http-response") && w[1] == "use-service" && len(w) > 2 && strings.HasPrefix(w[2], "lua."):
		return quoteUnsupported(two) + " with the Lua service " + w[2] + ": " + lua
	case kw == "filter" && w[1] == "spoe", kw == "option" && w[1] == "spop-check",
		strings.HasSuffix(w[1], "send-spoe-group") && (kw == "http-request" || kw == "http-response" || kw == "tcp-request" || kw == "tcp-response"):
		return quoteUnsupported(two) + ": " + spoe
	}
	return ""
}

func quoteUnsupported(kw string) string {
	return `"` + kw + `" is a HAProxy keyword that Baton does not support`
}
