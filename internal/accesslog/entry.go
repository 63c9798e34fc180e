package accesslog

import (
	"net/netip"
	"time"

	"baton/internal/expr"
	"baton/internal/syslog"
)

// Entry is one request (mode http) or one connection (mode tcp) as a log
// line sees it. The proxy fills it in; formats read it without keeping it.
type Entry struct {
	// HTTP is set for a request of a mode http frontend.
	HTTP bool
	// Client is the client's address (%ci %cp), Local the address it
	// connected to (%fi %fp). ServerSrc and ServerDst are the server
	// connection's source (%bi %bp) and destination (%si %sp); the zero
	// value logs "-".
	Client, Local, ServerSrc, ServerDst netip.AddrPort

	// Accept is HAProxy's accept date (%t): when the connection was
	// accepted, or for a later request on a kept-alive connection, when
	// the previous one ended.
	Accept time.Time
	// Idle is the wait for the request's first byte after Accept (%Ti),
	// Handshake the TLS or PROXY handshake (%Th).
	Idle, Handshake time.Duration
	// TRequest, TQueue, TConnect, TData and TClose are when the request
	// head was complete, a server slot was granted, the server
	// connection was up, the response head arrived and the exchange
	// ended, each since Accept (HAProxy's t_request, t_queue, t_connect,
	// t_data, t_close); negative means not reached.
	TRequest, TQueue, TConnect, TData, TClose time.Duration

	// Frontend, Backend and Server are the names. An empty Backend logs
	// the frontend (no switching happened); an empty Server logs <NOSRV>.
	Frontend, Backend, Server string
	// TLS marks a connection that arrived over TLS (%ft adds '~');
	// TLSCipher and TLSVersion are its suite and version in OpenSSL's
	// names (%sslc, %sslv).
	TLS                   bool
	TLSCipher, TLSVersion []byte

	// Status is the HTTP status sent, -1 when none was; 0 for TCP.
	Status int
	// BytesOut is what was sent to the client, headers included (%B);
	// BytesIn what was received from it (%U).
	BytesOut, BytesIn int64
	// State is the termination state: two bytes for TCP, four for
	// HTTP. A zero byte logs '-'.
	State [4]byte

	// ActConn, FeConn, BeConn and SrvConn are the concurrent connections
	// on the process, frontend, backend and server.
	ActConn, FeConn, BeConn, SrvConn int
	// Retries is the number of connection retries; Redispatched adds '+'.
	Retries      int
	Redispatched bool
	// SrvQueue and BackendQueue are the positions in the server and
	// backend queues (0 when not queued).
	SrvQueue, BackendQueue int

	// Request is the request line ("GET / HTTP/1.1"); empty logs
	// <BADREQ>.
	Request []byte
	// ID numbers requests (TCP: connections) from 0 in the process (%rt).
	ID uint64
	// LogCount is how many lines the frontend sent before this one
	// (%lc); the Proxy sets it.
	LogCount uint64
	// CapturedReq and CapturedRes are the frontend's capture slots
	// ("capture request header", "declare capture", "http-request
	// capture"), in order, for %hr %hrl %hs %hsl; a nil value is a slot
	// nothing filled. Without slots those variables log nothing.
	CapturedReq, CapturedRes [][]byte
	// Sample is what the format's sample expressions ("%[...]") read:
	// the connection's sample context, as the request left it; nil logs
	// them as absent.
	Sample *expr.Ctx
	// UniqueID is the request's unique id (%ID); nil without one.
	UniqueID []byte
	// Level replaces the line's level when LevelSet (set-log-level).
	Level    syslog.Level
	LevelSet bool
	// ASAP marks a line logged early ("option logasap"): %Ta, %Tt, %Tu
	// and %B get a '+'.
	ASAP bool
}

// ms is d in whole milliseconds, or -1 for a phase not reached.
func ms(d time.Duration) int64 {
	if d < 0 {
		return -1
	}
	return d.Milliseconds()
}
