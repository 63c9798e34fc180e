package master

import (
	"baton/internal/sticktable"
)

// The master owns the stick tables' shared segment (package
// sticktable): it creates it at start, gives each generation the
// regions of its configuration's tables (by name and definition, so a
// reload that keeps a table keeps its entries, and both generations
// share them while the old one drains), passes the segment after the
// counters, frees a region once no live generation uses it, and keeps
// the segment across a binary upgrade. It never maps the segment.

// openTables creates the segment. Without it Baton still serves; each
// generation then has tables of its own, which a reload loses.
func (m *Master) openTables() {
	a, err := sticktable.NewAllocator()
	if err != nil {
		m.logf("%v: stick tables restart with each generation", err)
		return
	}
	m.tables = a
}

// attachTables gives g the regions of snap's tables and says how the
// worker finds them: fd is the descriptor the segment will have in the
// worker (the next ExtraFiles entry). nil when there is nothing to pass.
func (m *Master) attachTables(g *generation, snap *Snapshot, fd int) *sticktable.SegmentRef {
	if m.tables == nil || len(snap.Tables) == 0 {
		return nil
	}
	rs, err := m.tables.Acquire(snap.Tables)
	if err != nil {
		m.logf("worker gen=%d: %v: its stick tables are its own", g.gen, err)
		return nil
	}
	g.tables = rs
	return &sticktable.SegmentRef{FD: fd, Regions: rs}
}

// releaseTables gives g's regions back; g's process must be gone.
func (m *Master) releaseTables(g *generation) {
	if m.tables != nil && g.tables != nil {
		m.tables.Release(g.tables)
		g.tables = nil
	}
}

// keepTables prepares the segment for exec.
func (m *Master) keepTables() (*sticktable.AllocatorState, error) {
	if m.tables == nil {
		return nil, nil
	}
	fd, err := keepFD(m.tables.File())
	if err != nil {
		return nil, err
	}
	st := m.tables.Export(fd)
	return &st, nil
}

// resumeTables adopts the segment in the new image (a new one when the
// old image had none or it cannot be adopted: tables then start empty).
func (m *Master) resumeTables(st *sticktable.AllocatorState) error {
	if st == nil {
		m.openTables()
		return nil
	}
	a, err := sticktable.RestoreAllocator(*st)
	if err != nil {
		m.openTables()
		return err
	}
	m.tables = a
	return nil
}
