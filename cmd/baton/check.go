package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"baton/internal/cfgcond"
	"baton/internal/config"
	"baton/internal/tlsconf"
)

// checkConfig is "baton -c": it reports the configuration's errors, or
// its warnings and notices (and with -dD its diagnostics) followed by
// "Configuration file is valid" (or, without any listener, HAProxy's
// words and exit status 2), as HAProxy does; the exit status says which.
func checkConfig(files []string, explain, diag bool) int {
	cfg, err := config.Load(files...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	reportMessages(os.Stderr, cfg, diag)
	// Certificates, keys, CAs: loaded and checked as a reload would.
	_, tlsWarns, err := tlsconf.Load(cfg.TLSSpecs(), &tlsconf.OSFiles{}, time.Now())
	for _, w := range tlsconf.WarningsSorted(tlsWarns) {
		fmt.Fprintf(os.Stderr, "warning: %s\n", w)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if explain {
		config.Explain(os.Stdout, cfg)
	}
	if !cfg.HasListener() {
		fmt.Println(config.NoListener)
		return 2
	}
	fmt.Println("Configuration file is valid")
	return 0
}

// reportMessages writes what the configuration says besides its errors:
// warnings, .notice messages and, in diagnostic mode, .diag ones.
func reportMessages(w io.Writer, cfg *config.Config, diag bool) {
	for _, m := range cfg.Warnings {
		fmt.Fprintf(w, "warning: %s\n", m)
	}
	for _, m := range cfg.Notices {
		fmt.Fprintf(w, "notice: %s\n", m)
	}
	if diag {
		for _, m := range cfg.Diagnostics {
			fmt.Fprintf(w, "diag: %s\n", m)
		}
	}
}

// checkCondition is "baton -cc EXPR": the exit status is 0 when the
// condition is true, 1 when false, 2 when it cannot be evaluated, as with
// HAProxy; the predicates are those of ".if" (cfgcond).
func checkCondition(expr string) int {
	ok, err := config.EvalCondition(expr, config.Options{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "baton -cc %q: %v\n", expr, err)
		return 2
	}
	if ok {
		return 0
	}
	return 1
}

// printBuildOptions is "baton -vv": the version, the HAProxy language
// level the version predicates answer for, and the feature list that
// feature() consults, in HAProxy's "+NAME" notation.
func printBuildOptions() {
	fmt.Printf("baton version %s\n", version)
	fmt.Printf("HAProxy configuration language: %s (version_atleast/version_before compare against it)\n", cfgcond.Version)
	fmt.Printf("Feature list : +%s\n", strings.Join(cfgcond.Features, " +"))
}
