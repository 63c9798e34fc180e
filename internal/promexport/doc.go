// Package promexport is the Prometheus exporter of
// "http-request use-service prometheus-exporter": HAProxy 2.6's metric
// families (names, types, HELP texts, labels proxy, server, state and
// code), built from the same rows and info as "show stat" and "show
// info", and Baton's own families under the baton_ prefix.
//
// Model. Families is HAProxy's list, in its order: process families
// from the info lines, then frontend, backend and server families from
// the stat columns (each family holds the samples of every object of its
// kind). A column without a value is NaN, as in HAProxy; the check
// families are left out for servers without checks. The state families
// (status, check_status, agg_*) have one sample per state, 1 for the
// current one (or the count of servers, for agg_*); the HTTP responses
// family one per status class (label code). Times are in seconds.
//
// Write takes a Scope: "?scope=global|frontend|backend|server" (HAProxy's
// query parameter, repeatable; "?scope=" alone selects nothing) and
// "?no-maint" (servers in maintenance left out). Baton's families
// (reloads by result, the last reload's time and result, the serving
// generation, draining generations, migrated connections, restarts,
// upgrades) belong to the global scope.
package promexport
