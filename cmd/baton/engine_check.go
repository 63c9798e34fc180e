package main

import (
	"baton/internal/proxy"
	"baton/internal/worker"
)

// The engine implements every optional worker interface it should: a
// missing method would silently cost migration, TLS relays or ticket keys.
var (
	_ worker.Migrator        = (*proxy.Engine)(nil)
	_ worker.RelayAdopter    = (*proxy.Engine)(nil)
	_ worker.TicketKeySetter = (*proxy.Engine)(nil)
)
