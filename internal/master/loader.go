package master

import (
	"slices"

	"baton/internal/config"
	"baton/internal/listener"
	"baton/internal/worker"
)

// ConfigLoader is the Loader for Baton's configuration language: the files
// are read once (config.ReadSources), validated (config.ParseSources), and
// the same bytes go to the worker.
func ConfigLoader(paths []string) (*Snapshot, error) {
	srcs, err := config.ReadSources(paths...)
	if err != nil {
		return nil, err
	}
	cfg, err := config.ParseSources(srcs)
	if err != nil {
		return nil, err
	}
	snap := &Snapshot{HardStopAfter: cfg.Global.HardStopAfter, Warnings: cfg.Warnings, Notices: cfg.Notices}
	for _, st := range cfg.Global.StatsSockets {
		o := st.Owner
		snap.StatsSockets = append(snap.StatsSockets, StatsSocket{Path: st.Path, Mode: st.Mode, Level: st.Level, ExposeListeners: st.ExposeListeners,
			Owner: listener.UnixOptions{UID: o.UID, GID: o.GID, HasUID: o.HasUID, HasGID: o.HasGID}, Timeout: cfg.Global.StatsTimeout})
	}
	for _, s := range srcs {
		snap.Files = append(snap.Files, worker.File{Name: s.Name, Data: s.Data})
	}
	for _, f := range cfg.Files {
		snap.Files = append(snap.Files, worker.File{Name: f.Name, Data: f.Data, Aux: true})
	}
	for _, p := range cfg.Frontends() {
		for _, b := range p.Binds {
			if !slices.Contains(snap.Binds, b.Addr) {
				snap.Binds = append(snap.Binds, b.Addr)
			}
			if u := b.Unix; u != nil {
				if snap.UnixFiles == nil {
					snap.UnixFiles = make(map[string]listener.UnixOptions)
				}
				snap.UnixFiles[b.Addr] = listener.UnixOptions{Mode: u.Mode, UID: u.UID, GID: u.GID, HasUID: u.HasUID, HasGID: u.HasGID}
			}
		}
	}
	return snap, nil
}
