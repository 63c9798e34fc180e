package worker

import (
	"baton/internal/sticktable"
)

// openTables maps the stick tables' segment the start message names.
// Without it the generation's tables are its own (the reason is
// logged): they work, but a reload loses them.
func (w *worker) openTables(ref *sticktable.SegmentRef) *sticktable.Tables {
	if ref == nil {
		return nil
	}
	ts, err := sticktable.OpenSegment(ref)
	if err != nil {
		w.logf("%v: this generation's stick tables are its own", err)
		return nil
	}
	return ts
}
