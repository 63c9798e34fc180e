package counters

import "baton/internal/config"

// ConfigKeys lists the statistics objects of cfg: the process, every
// frontend, backend and server, and the listeners of the frontends with
// option socket-stats; a listen section is both a frontend and a
// backend.
func ConfigKeys(cfg *config.Config) []Key {
	keys := []Key{ProcessKey}
	for _, p := range cfg.Proxies {
		if p.Kind == config.KindFrontend || p.Kind == config.KindListen {
			keys = append(keys, FrontendKey(p.Name))
			if p.SocketStats {
				for i := range p.Binds {
					keys = append(keys, ListenerKey(p.Name, i+1))
				}
			}
		}
		if p.Kind == config.KindBackend || p.Kind == config.KindListen {
			keys = append(keys, BackendKey(p.Name))
			for _, s := range p.Servers {
				keys = append(keys, ServerKey(p.Name, s.Name))
			}
		}
	}
	return keys
}

// NewTestView makes a segment with the slots of cfg and one generation's
// group: for tests of the code that counts.
func NewTestView(cfg *config.Config) (*View, *Table, error) {
	seg, err := Create(64, 1024, DefaultShards, 4)
	if err != nil {
		return nil, nil, err
	}
	t := NewTable(seg)
	slots, err := t.Acquire(ConfigKeys(cfg))
	if err != nil {
		seg.Close()
		return nil, nil, err
	}
	g, err := t.TakeGroup()
	if err != nil {
		seg.Close()
		return nil, nil, err
	}
	return &View{Seg: seg, Group: g, Slots: slots}, t, nil
}
