package reloadtest

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// reloadVerdict is what the records say about one reload.
type reloadVerdict struct {
	reloadRun
	switched  bool
	switchAt  time.Duration // S_k, when switched
	oldSeen   time.Duration // last old-label response after S_k, minus S_k
	stale     int
	pinned    int
	races     int
	refused   int // HTTP/2 streams refused
	failed    int
	requests  int
	windowEnd time.Duration
}

type report struct {
	target     string
	reloadsDue int
	interval   time.Duration
	elapsed    time.Duration
	requests   int
	byOutcome  [numOutcomes]int
	byKind     [numKinds][numOutcomes]int
	stale      int
	pinned     int
	reloadErrs int
	unswitched int
	reloads    []reloadVerdict
	failures   []record // failed requests and races, for --verbose
	// tls says the run was in TLS mode; handshakes are its counts.
	tls        bool
	handshakes tlsCounts
	// h2 says the run was in HTTP/2 mode; h2Conns are its connection
	// counts.
	h2      bool
	h2Conns h2Counts
}

func (r *report) failed() int {
	n := 0
	for o := outRefused; o <= outBad; o++ {
		n += r.byOutcome[o]
	}
	return n
}

func (r *report) pass() bool {
	return r.failed() == 0 && r.stale == 0 && r.byOutcome[outRace] == 0 &&
		r.reloadErrs == 0 && r.unswitched == 0 && r.handshakes.fullOffered == 0 &&
		r.byOutcome[outRefusedStream] == 0
}

// fresh says whether a record shows how its connection's generation
// routes: the first request of an HTTP/1.1 connection, any stream of an
// HTTP/2 one (its connection's dial time is r.dial).
func (r *record) fresh() bool { return r.newConn || r.h2 }

// pinnedAfter says whether r is a request sent after switchAt on a
// connection that existed before it.
func (r *record) pinnedAfter(switchAt time.Duration) bool {
	if r.h2 {
		return r.dial < switchAt && r.sent >= switchAt
	}
	return !r.newConn && r.sent >= switchAt
}

// analyse judges the records against the reload windows; see doc.go for
// the definitions.
func analyse(s *settings, runs []reloadRun, records []record, end time.Duration) *report {
	rep := &report{target: s.target, reloadsDue: s.reloads, interval: s.interval, elapsed: end, tls: s.tls.on, h2: s.h2}
	rep.handshakes = countHandshakes(records)
	slack := s.timeout + uploadPieces*uploadGap + downloadBytes/downloadChunk*downloadGap + time.Second
	slices.SortFunc(records, func(a, b record) int { return int(a.done - b.done) })
	for _, r := range records {
		rep.requests++
		rep.byOutcome[r.out]++
		rep.byKind[r.kind][r.out]++
		if r.out != outOK {
			rep.failures = append(rep.failures, r)
		}
	}
	for k, run := range runs {
		v := reloadVerdict{reloadRun: run, windowEnd: end}
		if k+1 < len(runs) {
			v.windowEnd = runs[k+1].start
		}
		if run.err != nil {
			rep.reloadErrs++
		}
		old := 'a' + 'b' - run.label
		// Records are sorted by done; a request of this window ends after
		// the window starts and at most slack after it ends.
		first, _ := slices.BinarySearchFunc(records, run.start, func(r record, t time.Duration) int { return int(r.done - t) })
		window := records[first:]
		if last, _ := slices.BinarySearchFunc(window, v.windowEnd+slack, func(r record, t time.Duration) int { return int(r.done - t) }); last < len(window) {
			window = window[:last]
		}
		for _, r := range window {
			if r.fresh() && r.out == outOK && r.label == run.label &&
				r.dial >= run.start && r.done < v.windowEnd {
				v.switched, v.switchAt = true, r.done
				break // records are sorted by done
			}
		}
		for _, r := range window {
			if r.sent >= run.start && r.sent < v.windowEnd {
				v.requests++
				switch {
				case r.out == outRace:
					v.races++
				case r.out == outRefusedStream:
					v.refused++
				case r.out != outOK:
					v.failed++
				}
			}
			if !v.switched || r.label != old {
				continue
			}
			// A request answered after the next reload started may have
			// been routed by that reload, whose new label is our old one:
			// only answers that came back inside the window are judged.
			if r.fresh() && r.dial >= v.switchAt && r.done < v.windowEnd {
				v.stale++
			}
			if r.pinnedAfter(v.switchAt) && r.done < v.windowEnd {
				v.pinned++
			}
			if r.done >= v.switchAt && r.done < v.windowEnd && r.done-v.switchAt > v.oldSeen {
				v.oldSeen = r.done - v.switchAt
			}
		}
		if !v.switched {
			rep.unswitched++
		}
		rep.stale += v.stale
		rep.pinned += v.pinned
		rep.reloads = append(rep.reloads, v)
	}
	return rep
}

// quantiles returns the median, p90 and max of ds (nearest rank).
func quantiles(ds []time.Duration) (med, p90, top time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := func(q float64) time.Duration {
		i := int(q*float64(len(s))+0.999999) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	return rank(0.5), rank(0.9), s[len(s)-1]
}

func (r *report) switchTimes() (switches, oldSeen []time.Duration) {
	for _, v := range r.reloads {
		if v.switched {
			switches = append(switches, v.switchAt-v.start)
			oldSeen = append(oldSeen, v.oldSeen)
		}
	}
	return switches, oldSeen
}

// afterCommand is, for each reload that switched, how long after its
// reload command returned the new configuration answered (0 when it did
// before): the proxy's own part of the switch when the command only
// signals (a shell rendering the file costs what the machine's load says,
// for every proxy alike).
func (r *report) afterCommand() []time.Duration {
	var out []time.Duration
	for _, v := range r.reloads {
		if v.switched {
			out = append(out, max(0, v.switchAt-v.end))
		}
	}
	return out
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}

func (r *report) writeText(w io.Writer, verbose bool) {
	switches, oldSeen := r.switchTimes()
	sMed, sP90, sMax := quantiles(switches)
	oMed, _, oMax := quantiles(oldSeen)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "reload-test\t%s, %d reloads every %v, %.1fs of traffic\n", r.target, r.reloadsDue, r.interval, r.elapsed.Seconds())
	fmt.Fprintf(tw, "requests\t%d\n", r.requests)
	var kinds []string
	for o := outRefused; o <= outBad; o++ {
		kinds = append(kinds, fmt.Sprintf("%s %d", outcomeNames[o], r.byOutcome[o]))
	}
	fmt.Fprintf(tw, "failed\t%d\t(%s)\n", r.failed(), strings.Join(kinds, ", "))
	fmt.Fprintf(tw, "stale new connections\t%d\t(old config answered after the new one did)\n", r.stale)
	fmt.Fprintf(tw, "reuse races\t%d\t(keep-alive request got no response)\n", r.byOutcome[outRace])
	fmt.Fprintf(tw, "reload command errors\t%d\n", r.reloadErrs)
	fmt.Fprintf(tw, "reloads not seen\t%d\t(new label never answered a new connection)\n", r.unswitched)
	fmt.Fprintf(tw, "switch time\tmedian %s\tp90 %s, max %s\n", ms(sMed), ms(sP90), ms(sMax))
	aMed, _, aMax := quantiles(r.afterCommand())
	fmt.Fprintf(tw, "switch after the command\tmedian %s\tmax %s (from the reload command's return)\n", ms(aMed), ms(aMax))
	fmt.Fprintf(tw, "old config last seen\tmedian %s\tmax %s (after the switch)\n", ms(oMed), ms(oMax))
	fmt.Fprintf(tw, "pinned requests\t%d\t(sent on kept-alive connections after the switch, answered by the old config)\n", r.pinned)
	if r.h2 {
		n := r.h2Conns
		fmt.Fprintf(tw, "refused streams\t%d\t(RST_STREAM REFUSED_STREAM, or above a GOAWAY's last stream ID: retried)\n", r.byOutcome[outRefusedStream])
		fmt.Fprintf(tw, "HTTP/2 connections\t%d\t(%d got a GOAWAY, %d of them two-phase; %d GOAWAY frames)\n", n.conns, n.goawayConns, n.twoPhase, n.goaways)
	}
	if r.tls {
		h := r.handshakes
		fmt.Fprintf(tw, "TLS handshakes\t%d\t(%d resumed, %d full)\n", h.handshakes, h.resumed, h.full)
		fmt.Fprintf(tw, "full handshakes refusing a session\t%d\t(the client offered a session the proxy did not resume)\n", h.fullOffered)
	}
	result := "PASS"
	if !r.pass() {
		result = "FAIL"
	}
	fmt.Fprintf(tw, "result\t%s\n", result)
	tw.Flush()
	if !verbose {
		return
	}
	fmt.Fprintln(w, "\nper client kind:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "kind\t")
	for _, n := range outcomeNames {
		fmt.Fprintf(tw, "%s\t", n)
	}
	fmt.Fprintln(tw)
	for k, row := range r.byKind {
		fmt.Fprintf(tw, "%s\t", kindNames[k])
		for _, n := range row {
			fmt.Fprintf(tw, "%d\t", n)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nper reload (times from the start of traffic):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "#\tto\tstart\tcommand\tswitch\told seen\trequests\tfailed\tstale\traces\trefused\tpinned\terror\t")
	for _, v := range r.reloads {
		sw := "never"
		if v.switched {
			sw = ms(v.switchAt - v.start)
		}
		errText := ""
		if v.err != nil {
			errText = strings.TrimSpace(v.err.Error() + " " + firstLine(v.output))
		}
		fmt.Fprintf(tw, "%d\t%c\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t\n",
			v.n, v.label, ms(v.start), ms(v.end-v.start), sw, ms(v.oldSeen),
			v.requests, v.failed, v.stale, v.races, v.refused, v.pinned, errText)
	}
	tw.Flush()
	if len(r.failures) > 0 {
		fmt.Fprintln(w, "\nfailures and races:")
		for i, f := range r.failures {
			if i == 50 {
				fmt.Fprintf(w, "... %d more\n", len(r.failures)-50)
				break
			}
			reuse := "new conn"
			switch {
			case f.h2:
				reuse = "h2 stream on conn of " + ms(f.dial)
			case !f.newConn:
				reuse = "reused conn"
			}
			fmt.Fprintf(w, "  %s %s %s, %s: %s\n", ms(f.sent), kindNames[f.kind], reuse, outcomeNames[f.out], f.err)
		}
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// writeKV prints the summary as one line of key=value, for scripts.
func (r *report) writeKV(w io.Writer) {
	switches, oldSeen := r.switchTimes()
	sMed, sP90, sMax := quantiles(switches)
	oMed, _, oMax := quantiles(oldSeen)
	msf := func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }
	fmt.Fprintf(w, "requests=%d failed=%d", r.requests, r.failed())
	for o := outRefused; o <= outBad; o++ {
		fmt.Fprintf(w, " %s=%d", outcomeNames[o], r.byOutcome[o])
	}
	fmt.Fprintf(w, " stale=%d races=%d reload_errors=%d unswitched=%d pinned=%d", r.stale, r.byOutcome[outRace], r.reloadErrs, r.unswitched, r.pinned)
	fmt.Fprintf(w, " switch_median_ms=%s switch_p90_ms=%s switch_max_ms=%s oldseen_median_ms=%s oldseen_max_ms=%s",
		msf(sMed), msf(sP90), msf(sMax), msf(oMed), msf(oMax))
	aMed, _, _ := quantiles(r.afterCommand())
	fmt.Fprintf(w, " switch_after_cmd_median_ms=%s", msf(aMed))
	if r.h2 {
		n := r.h2Conns
		fmt.Fprintf(w, " refused_streams=%d h2_conns=%d h2_goaway_conns=%d h2_two_phase=%d h2_goaways=%d",
			r.byOutcome[outRefusedStream], n.conns, n.goawayConns, n.twoPhase, n.goaways)
	}
	if r.tls {
		h := r.handshakes
		fmt.Fprintf(w, " tls_handshakes=%d tls_resumed=%d tls_full=%d tls_full_refused=%d", h.handshakes, h.resumed, h.full, h.fullOffered)
	}
	fmt.Fprintf(w, " pass=%v\n", r.pass())
}
