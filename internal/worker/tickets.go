package worker

import "fmt"

// TicketKeySetter is implemented by engines with TLS binds (proxy.Engine):
// the master's session ticket keys, at start (Info.TicketKeys) and at each
// rotation (OpTicketKeys), so that every generation resumes the same
// sessions.
type TicketKeySetter interface {
	SetTicketKeys(keys [][32]byte)
}

func decodeTicketKeys(b [][]byte) ([][32]byte, error) {
	out := make([][32]byte, len(b))
	for i, k := range b {
		if len(k) != 32 {
			return nil, fmt.Errorf("ticket key %d: %d bytes, want 32", i, len(k))
		}
		copy(out[i][:], k)
	}
	return out, nil
}

// setTicketKeys applies an OpTicketKeys message; the result is the
// reply's error text ("" for none).
func (w *worker) setTicketKeys(b [][]byte) string {
	keys, err := decodeTicketKeys(b)
	if err != nil {
		return err.Error()
	}
	if s, ok := w.engine.(TicketKeySetter); ok && len(keys) > 0 {
		s.SetTicketKeys(keys)
	}
	return ""
}
