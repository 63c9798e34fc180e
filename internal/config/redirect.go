package config

import "strings"

// The proxy-level "redirect" keyword: "redirect location|prefix|scheme
// VALUE [code N] [options] [if|unless COND]". It takes the options of
// "http-request redirect", but its value is a plain string, not a log
// format, and its rules run after every http-request rule of the proxy
// (and after the statistics page's URI), whatever their order in the
// file: HAProxy 2.6's order in http_process_req_common.

func init() {
	proxyKeywords["redirect"] = &proxyKeyword{sections: secF | secL | secB, parse: parseRedirectKeyword}
	delete(unsupportedProxy, "redirect")
}

// literalFormat escapes s so that the log-format compiler reads it as
// plain text.
func literalFormat(s string) string { return strings.ReplaceAll(s, "%", "%%") }
