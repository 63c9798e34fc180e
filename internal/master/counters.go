package master

import (
	"errors"
	"os"
	"time"

	"baton/internal/counters"
	"baton/internal/worker"
)

// The master owns the statistics segment (package counters): it creates
// it at start, gives each generation its region group and the slots of
// its configuration (by proxy and server name, so counters and server
// state follow names across reloads), passes the segment's descriptor
// after the hand-over channel, folds a generation's counts into the
// totals once its process is gone, and publishes what only it knows
// (reloads, serving and draining generations, migrated connections) in
// the segment's service words.

const (
	// counterSlots is the initial size of the segment; it doubles as
	// configurations grow, up to counterReserve slots.
	counterSlots   = 256
	counterReserve = 1 << 15
)

// openCounters creates the segment. Without it Baton still serves; the
// statistics then start from zero in every generation.
func (m *Master) openCounters() {
	groups := max(counters.DefaultGroups, m.opt.MaxDraining+8)
	seg, err := counters.Create(counterSlots, counterReserve, counters.DefaultShards, groups)
	if err != nil {
		m.logf("statistics: %v: counters restart with each generation", err)
		return
	}
	m.ctrs = counters.NewTable(seg)
	seg.SetService(counters.ServiceMasterStart, uint64(m.started.UnixNano()))
}

// attachCounters gives g its region group and the slots of its
// configuration, and says how the worker finds them: the descriptor
// number the segment will have in the worker (the next ExtraFiles
// entry). It returns nil when there is no segment or no free group
// (logged: that generation counts nothing).
func (m *Master) attachCounters(g *generation, snap *Snapshot, fd int) *worker.CountersRef {
	if m.ctrs == nil {
		return nil
	}
	slots, err := m.ctrs.Acquire(snap.Stats)
	if err != nil {
		m.logf("statistics: %v", err)
		return nil
	}
	grp, err := m.ctrs.TakeGroup()
	if err != nil {
		m.ctrs.Release(slots)
		m.logf("statistics: worker gen=%d: %v: it counts nothing", g.gen, err)
		return nil
	}
	g.ctrGroup, g.ctrSlots = grp, slots
	return &worker.CountersRef{FD: fd, Group: grp, Slots: slots}
}

// counterFile is the segment's file for a worker's ExtraFiles, or nil.
func (m *Master) counterFile() *os.File {
	if m.ctrs == nil {
		return nil
	}
	return m.ctrs.Segment().File()
}

// releaseCounters folds what g counted into the totals and gives its
// group and slots back. g's process must be gone.
func (m *Master) releaseCounters(g *generation) {
	if m.ctrs == nil || g.ctrSlots == nil {
		return
	}
	m.ctrs.RetireGroup(g.ctrGroup, g.ctrSlots)
	m.ctrs.Release(g.ctrSlots)
	g.ctrGroup, g.ctrSlots = 0, nil
}

// publishReload records a reload's result for the baton_ metrics.
func (m *Master) publishReload(ok bool) {
	if m.ctrs == nil {
		return
	}
	seg := m.ctrs.Segment()
	now := uint64(time.Now().UnixNano())
	seg.SetService(counters.ServiceLastReload, now)
	if ok {
		seg.AddService(counters.ServiceReloadsOK, 1)
		seg.SetService(counters.ServiceLastReloadOK, now)
		seg.SetService(counters.ServiceLastReloadResult, 1)
	} else {
		seg.AddService(counters.ServiceReloadsFailed, 1)
		seg.SetService(counters.ServiceLastReloadResult, 2)
	}
}

// publishGenerations records the serving generation and how many drain.
func (m *Master) publishGenerations() {
	if m.ctrs == nil {
		return
	}
	m.mu.Lock()
	serving, draining := 0, 0
	if m.current != nil && m.current.state == StateServing && !m.current.remote {
		serving = m.current.gen
	}
	for _, g := range m.gens {
		if g.state == StateDraining {
			draining++
		}
	}
	restarts, upgrades := m.restarts, m.upgrades
	m.mu.Unlock()
	seg := m.ctrs.Segment()
	seg.SetService(counters.ServiceServingGen, uint64(serving))
	seg.SetService(counters.ServiceDraining, uint64(draining))
	seg.SetService(counters.ServiceRestarts, uint64(restarts))
	seg.SetService(counters.ServiceUpgrades, uint64(upgrades))
}

// countMigrated records a client connection adopted by a newer
// generation.
func (m *Master) countMigrated() {
	if m.ctrs != nil {
		m.ctrs.Segment().AddService(counters.ServiceMigrated, 1)
	}
}

// counterUpgrade is the segment across a binary upgrade.
type counterUpgrade struct {
	FD    int                 `json:"fd"`
	Table counters.TableState `json:"table"`
}

// keepCounters prepares the segment for exec: a descriptor that
// survives it, and the table.
func (m *Master) keepCounters() (*counterUpgrade, error) {
	if m.ctrs == nil {
		return nil, nil
	}
	fd, err := keepFD(m.ctrs.Segment().File())
	if err != nil {
		return nil, err
	}
	return &counterUpgrade{FD: fd, Table: m.ctrs.Export()}, nil
}

// resumeCounters adopts the segment in the new image.
func (m *Master) resumeCounters(cu *counterUpgrade) error {
	if cu == nil {
		m.openCounters()
		return nil
	}
	seg, err := counters.Open(os.NewFile(uintptr(cu.FD), "counters"), counterReserve)
	if err != nil {
		m.openCounters()
		return errors.Join(errors.New("statistics: the counters segment could not be adopted: counting starts again"), err)
	}
	if m.ctrs, err = counters.RestoreTable(seg, cu.Table); err != nil {
		seg.Close()
		m.openCounters()
		return err
	}
	m.ctrs.Segment().AddService(counters.ServiceUpgrades, 0)
	return nil
}
