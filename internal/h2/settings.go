package h2

import (
	"math"
	"time"
)

// Limits are the tune.h2.* settings of HAProxy 2.6 that a server
// connection announces and enforces. The zero value of each field means
// HAProxy's default.
type Limits struct {
	// HeaderTableSize is the HPACK dynamic table size the client's
	// encoder may use (SETTINGS_HEADER_TABLE_SIZE); 0 means 4096.
	HeaderTableSize uint32
	// InitialWindowSize is each stream's receive window
	// (SETTINGS_INITIAL_WINDOW_SIZE): how much request body a client may
	// send before Baton acknowledges it; 0 means 65535.
	InitialWindowSize uint32
	// MaxConcurrentStreams is SETTINGS_MAX_CONCURRENT_STREAMS; 0 means
	// 100 and Unlimited means no limit ("tune.h2.max-concurrent-streams
	// 0" in the configuration).
	MaxConcurrentStreams uint32
	// MaxFrameSize is the largest frame accepted
	// (SETTINGS_MAX_FRAME_SIZE); 0 means 16384, the buffer size.
	MaxFrameSize uint32
}

// Unlimited in Limits.MaxConcurrentStreams announces no stream limit.
const Unlimited = math.MaxUint32

// Settings are what a Conn needs beyond the Limits: its timeouts and the
// sizes that protect it. The zero value of each field is documented.
type Settings struct {
	Limits
	// IdleTimeout closes a connection that has no stream in progress
	// after this long (timeout http-keep-alive, else timeout client);
	// 0 means never.
	IdleTimeout time.Duration
	// PrefaceTimeout bounds the wait for the client preface (timeout
	// http-request, else timeout client); 0 means IdleTimeout.
	PrefaceTimeout time.Duration
	// WriteTimeout bounds each write to the client and each wait for
	// its flow-control window (timeout client); 0 means none.
	WriteTimeout time.Duration
	// MaxHeaderListSize bounds a decoded header list
	// (SETTINGS_MAX_HEADER_LIST_SIZE); 0 means 16384, the buffer a
	// request head is forwarded from.
	MaxHeaderListSize uint32
	// ControlBudget is how many frames that carry no request (SETTINGS,
	// PING, WINDOW_UPDATE, PRIORITY, RST_STREAM, empty DATA) a client
	// may send per second before the connection is closed with
	// ENHANCE_YOUR_CALM; 0 means 1000.
	ControlBudget int
}

// or is v, or def when v is zero (a Settings field's zero value).
func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func (s *Settings) headerTableSize() uint32 { return or(s.HeaderTableSize, 4096) }
func (s *Settings) initialWindow() uint32   { return or(s.InitialWindowSize, 65535) }
func (s *Settings) maxStreams() uint32      { return or(s.MaxConcurrentStreams, 100) }
func (s *Settings) maxFrame() uint32        { return or(s.MaxFrameSize, 16384) }
func (s *Settings) maxHeaderList() uint32   { return or(s.MaxHeaderListSize, 16384) }
func (s *Settings) controlBudget() int      { return or(s.ControlBudget, 1000) }

// connWindow is the connection-level receive window: every stream's
// window summed is bounded by it, so a connection buffers at most this
// much request body.
const connWindow = 1 << 20
