// Package stats turns Baton's statistics into HAProxy 2.6's formats: the
// rows of "show stat" and the lines of "show info", as CSV, typed output
// and JSON (management guide sections 9.1 and 9.2), column for column.
//
// Model. A Row is one object (frontend, backend, server) with a Value per
// column. The column table (Fields) is HAProxy's: the same names in the
// same order (tools cut "show stat" by position), the same tags
// (origin, nature, scope) and types per object type, and the same
// descriptions (the Prometheus exporter's HELP texts). A column an object
// type has no value for is empty, as in HAProxy; the module columns
// after "-" (ssl, h2, h1) follow.
//
// The rows are built from plain descriptions of the objects (Frontend,
// Backend, Server: names, ids, configuration and live state, filled by
// the data path) and their counters.Totals, which already sum every
// generation of the service. Info likewise builds "show info" from an
// InfoData.
//
// Formats: WriteCSV (the header line "# pxname,svname,...", then one
// line per row, every line ending with a comma), WriteTyped
// ("F.iid.sid.pos.name.1:MCP:u64:value", empty values left out),
// WriteJSON (an array per object of typed entries), WriteInfo, and the
// typed and JSON forms of the info. A Filter selects rows as "show stat
// <iid> <type> <sid>" does.
package stats
