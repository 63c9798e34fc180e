package master

import (
	"slices"
	"time"

	"baton/internal/config"
	"baton/internal/counters"
	"baton/internal/listener"
	"baton/internal/settle"
	"baton/internal/sockopt"
	"baton/internal/tlsconf"
	"baton/internal/worker"
)

// NewConfigLoader returns the Loader for Baton's configuration language:
// the files are read once each has settled (so a file caught mid-write is
// never served: see package settle), validated (config.ParseSources),
// and the same bytes go to the worker. A configuration with no listener
// is refused: it would close every listening socket.
func NewConfigLoader(r *settle.Reader) Loader {
	return func(paths []string) (*Snapshot, error) { return loadConfig(r, paths) }
}

func loadConfig(r *settle.Reader, paths []string) (*Snapshot, error) {
	names, err := config.SourcePaths(paths...)
	if err != nil {
		return nil, err
	}
	files, err := r.Read(names)
	if err != nil {
		return nil, err
	}
	srcs := make([]config.Source, len(files))
	for i, f := range files {
		srcs[i] = config.Source{Name: f.Name, Data: f.Data}
	}
	cfg, err := config.ParseSources(srcs)
	if err != nil {
		return nil, err
	}
	// A reload with no listener would close every listening socket.
	if err := config.CheckListeners(cfg, names); err != nil {
		return nil, err
	}
	snap := &Snapshot{HardStopAfter: cfg.Global.HardStopAfter, Warnings: cfg.Warnings, Notices: cfg.Notices, Stats: counters.ConfigKeys(cfg), Tables: cfg.Tables(), Caches: CacheSpecs(cfg)}
	// Every certificate and key is loaded and checked before a worker
	// starts; the worker gets the very bytes (see tlsconf.Assets).
	tlsFiles := &tlsconf.OSFiles{Record: true}
	_, tlsWarns, err := tlsconf.Load(cfg.TLSSpecs(), tlsFiles, time.Now())
	if err != nil {
		return nil, err
	}
	snap.Warnings = append(snap.Warnings, tlsconf.WarningsSorted(tlsWarns)...)
	assetNames, assetData := tlsFiles.Recorded().Flatten()
	for i := range assetNames {
		snap.Assets = append(snap.Assets, worker.File{Name: assetNames[i], Data: assetData[i]})
	}
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
			if o := listenOptions(&b); o != (sockopt.Listen{}) {
				if snap.SockOpts == nil {
					snap.SockOpts = map[string]sockopt.Listen{}
				}
				snap.SockOpts[b.Addr] = o
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

// listenOptions are the socket options of a bind line.
func listenOptions(b *config.Bind) sockopt.Listen {
	o := sockopt.Listen{Device: b.Interface, Transparent: b.Transparent, DeferAccept: b.DeferAccept, FastOpen: b.TFO, Backlog: b.Backlog}
	switch {
	case b.V6Only:
		o.V6Only = 1
	case b.V4V6:
		o.V6Only = -1
	}
	return o
}
