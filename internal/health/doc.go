// Package health runs active health checks on a backend's servers and
// records the verdicts with backend.Server.SetHealthy.
//
// Every server with "check" gets one goroutine that probes it every
// "inter": a TCP connect, or with "option httpchk" an HTTP request whose
// status must be 2xx or 3xx. A healthy server goes down after "fall"
// consecutive failures; a down server comes back after "rise" consecutive
// successes. Servers start healthy, as the backend builds them, so a
// fresh generation serves at once; as in HAProxy they start one failure
// away from down, so a dead server is found by the first check. Servers
// in maintenance, or without an address, are not probed. First probes
// are spread over one interval so a large farm is not checked in a
// burst. Checks follow a server's address: when resolution changes it,
// the counts start over and the new address is probed at once.
//
// A check's Result says what happened in HAProxy's words (its status,
// HTTP code, the system's error or the reason phrase, its duration);
// Result.Reason and Health.String give the text of HAProxy's log lines.
// Options.OnChange hears of state changes; Options.OnCheck of every check
// that "option log-health-checks" reports: one whose status differs from
// the previous check's, or that moved the server's health (HAProxy's
// counter, which a steady up or down server leaves where it is).
package health
