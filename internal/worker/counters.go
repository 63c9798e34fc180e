package worker

import (
	"os"

	"baton/internal/counters"
)

// openCounters maps the statistics segment the start message names (see
// CountersRef). Without it the generation serves and counts nothing; the
// reason is logged.
func (w *worker) openCounters(ref *CountersRef) *counters.View {
	if ref == nil {
		return nil
	}
	f := os.NewFile(uintptr(ref.FD), "counters")
	if f == nil {
		w.logf("statistics: no descriptor %d: this generation counts nothing", ref.FD)
		return nil
	}
	seg, err := counters.Open(f, 0)
	if err != nil {
		f.Close()
		w.logf("statistics: %v: this generation counts nothing", err)
		return nil
	}
	return &counters.View{Seg: seg, Group: ref.Group, Slots: ref.Slots}
}
