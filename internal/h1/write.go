package h1

import "strconv"

// AppendRequestHead appends the request line, the header fields (names
// as received) and the final CRLF.
func AppendRequestHead(dst []byte, r *Request) []byte {
	dst = append(dst, r.Method...)
	dst = append(dst, ' ')
	dst = append(dst, r.Target...)
	dst = append(dst, " HTTP/1."...)
	dst = append(dst, byte('0'+r.Minor))
	dst = append(dst, '\r', '\n')
	return appendHeaders(dst, r.Headers)
}

// AppendResponseHead appends the status line, the header fields and the
// final CRLF. An empty Reason is written as such ("HTTP/1.1 200 \r\n").
func AppendResponseHead(dst []byte, r *Response) []byte {
	dst = append(dst, "HTTP/1."...)
	dst = append(dst, byte('0'+r.Minor), ' ')
	dst = appendStatus(dst, r.Status)
	dst = append(dst, ' ')
	dst = append(dst, r.Reason...)
	dst = append(dst, '\r', '\n')
	return appendHeaders(dst, r.Headers)
}

func appendStatus(dst []byte, s int) []byte {
	if s >= 100 && s <= 999 {
		return append(dst, byte('0'+s/100), byte('0'+s/10%10), byte('0'+s%10))
	}
	return strconv.AppendInt(dst, int64(s), 10)
}

func appendHeaders(dst []byte, hs []Header) []byte {
	for _, h := range hs {
		dst = append(dst, h.Name...)
		dst = append(dst, ':', ' ')
		dst = append(dst, h.Value...)
		dst = append(dst, '\r', '\n')
	}
	return append(dst, '\r', '\n')
}

// statusInfo holds the reason phrase and the one-line explanation used
// in generated responses.
var statusInfo = map[int][2]string{
	100: {"Continue", ""},
	101: {"Switching Protocols", ""},
	200: {"OK", "Service ready."},
	204: {"No Content", ""},
	301: {"Moved Permanently", ""},
	302: {"Found", ""},
	304: {"Not Modified", ""},
	400: {"Bad Request", "The request could not be understood."},
	401: {"Unauthorized", "Authentication is required."},
	403: {"Forbidden", "Access to this resource is denied."},
	404: {"Not Found", "Nothing matches the requested resource."},
	405: {"Method Not Allowed", "This method is not allowed for the resource."},
	408: {"Request Timeout", "The request was not received in time."},
	410: {"Gone", "The resource is gone."},
	413: {"Payload Too Large", "The request body is too large."},
	414: {"URI Too Long", "The request target is too long."},
	421: {"Misdirected Request", "This server cannot answer for that authority."},
	425: {"Too Early", "The request might be replayed."},
	429: {"Too Many Requests", "Too many requests; try again later."},
	431: {"Request Header Fields Too Large", "The request header section is too large."},
	500: {"Internal Server Error", "An internal error occurred."},
	501: {"Not Implemented", "The request uses a feature this server does not implement."},
	502: {"Bad Gateway", "The server returned an invalid or incomplete response."},
	503: {"Service Unavailable", "No server is available to handle this request."},
	504: {"Gateway Timeout", "The server did not respond in time."},
	505: {"HTTP Version Not Supported", "This HTTP version is not supported."},
}

// StatusText returns the reason phrase for code, or "Unknown Status".
func StatusText(code int) string {
	if s, ok := statusInfo[code]; ok {
		return s[0]
	}
	return "Unknown Status"
}

// cannedCodes are the statuses AppendStatusResponse precomputes.
var cannedCodes = []int{200, 400, 401, 403, 404, 405, 408, 410, 413, 414, 421, 425, 429, 431, 500, 501, 502, 503, 504, 505}

// canned[code][close] is the whole response, built once.
var canned = func() map[int][2][]byte {
	m := make(map[int][2][]byte, len(cannedCodes))
	for _, c := range cannedCodes {
		m[c] = [2][]byte{buildStatusResponse(nil, c, false), buildStatusResponse(nil, c, true)}
	}
	return m
}()

func buildStatusResponse(dst []byte, status int, close bool) []byte {
	info, ok := statusInfo[status]
	if !ok {
		info = [2]string{"Unknown Status", ""}
	}
	body := "<html><body><h1>" + strconv.Itoa(status) + " " + info[0] + "</h1>\n" + info[1] + "\n</body></html>\n"
	dst = append(dst, "HTTP/1.1 "...)
	dst = appendStatus(dst, status)
	dst = append(dst, ' ')
	dst = append(dst, info[0]...)
	dst = append(dst, "\r\ncontent-length: "...)
	dst = strconv.AppendInt(dst, int64(len(body)), 10)
	dst = append(dst, "\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n"...)
	if close {
		dst = append(dst, "connection: close\r\n"...)
	}
	dst = append(dst, "\r\n"...)
	return append(dst, body...)
}

// AppendStatusResponse appends a complete small response for status: a
// status line, content-length, cache-control: no-cache, content-type:
// text/html, "connection: close" when close, and a short HTML body.
// The common statuses are precomputed, so this is a copy.
func AppendStatusResponse(dst []byte, status int, close bool) []byte {
	if c, ok := canned[status]; ok {
		if close {
			return append(dst, c[1]...)
		}
		return append(dst, c[0]...)
	}
	return buildStatusResponse(dst, status, close)
}
