// Command baton is the Baton load balancer: a master process owning the
// listening sockets and worker generations serving HAProxy-style
// configurations. See doc/management.md.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"baton/internal/config"
	"baton/internal/master"
	"baton/internal/procenv"
	"baton/internal/proxy"
	"baton/internal/reloadtest"
	"baton/internal/resolve"
	"baton/internal/tlsconf"
	"baton/internal/worker"
)

// version is set at build time: go build -ldflags "-X main.version=1.2.3".
var version = "0.1.0-dev"

// workerCommand is the hidden sub-command the master re-executes.
const workerCommand = "__worker"

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case workerCommand:
			return worker.Main(newEngine)
		case "reload":
			return masterCommand("reload", args[1:])
		case "upgrade":
			return masterCommand("upgrade", args[1:])
		case "reload-test":
			return reloadtest.Main(args[1:], os.Stdout, os.Stderr)
		case "demo":
			return demo(args[1:])
		}
	}
	return serve(args)
}

// newEngine builds a generation's data path from the files the master
// validated.
// Once the engine is built, the worker takes on the global section's
// threads, limits, chroot and identity (package procenv): it holds its
// sockets, and it reads no file after this, so it can give up the rest.
func newEngine(files []worker.File, info worker.Info) (worker.Engine, error) {
	var srcs, aux []config.Source
	for _, f := range files {
		if f.Aux {
			aux = append(aux, config.Source{Name: f.Name, Data: f.Data})
		} else {
			srcs = append(srcs, config.Source{Name: f.Name, Data: f.Data})
		}
	}
	cfg, err := config.ParseSourcesWith(srcs, config.Options{ReadFile: config.FilesReader(aux)})
	if err != nil {
		return nil, err
	}
	// The certificates and keys the master checked, not the disk.
	names := make([]string, len(info.Assets))
	data := make([][]byte, len(info.Assets))
	for i, a := range info.Assets {
		names[i], data[i] = a.Name, a.Data
	}
	assets, err := tlsconf.Unflatten(names, data)
	if err != nil {
		return nil, err
	}
	bundle, _, err := tlsconf.Load(cfg.TLSSpecs(), assets, time.Now())
	if err != nil {
		return nil, err
	}
	bundle.SetTicketKeys(info.TicketKeys)
	opt := proxy.Options{Log: info.Log, Generation: info.Generation, PID: info.PID, Counters: info.Counters, Tables: info.Tables, Caches: info.Caches, Version: version, TLS: bundle}
	// Resolution results outlive the generation: start from what the
	// master kept, and give it ours as they change.
	if st, err := resolve.DecodeState(info.State[resolverStateKind]); err == nil {
		opt.ResolverState = st
	}
	if info.Publish != nil {
		opt.PublishResolvers = func(st resolve.State) { info.Publish(resolverStateKind, st.Encode()) }
	}
	eng, err := proxy.New(cfg, opt)
	if err != nil {
		return nil, err
	}
	warnings, err := procenv.Apply(procenv.FromConfig(&cfg.Global))
	for _, w := range warnings {
		fmt.Fprintf(os.Stderr, "baton[%d] gen=%d worker: warning: %s\n", info.PID, info.Generation, w)
	}
	if err != nil {
		eng.Close()
		return nil, err
	}
	return eng, nil
}

// resolverStateKind names the resolution state among the state kinds the
// master keeps across generations.
const resolverStateKind = "resolvers"

// paths is the repeatable -f flag.
type paths []string

func (p *paths) String() string     { return strings.Join(*p, ",") }
func (p *paths) Set(s string) error { *p = append(*p, s); return nil }

func serve(args []string) int {
	fs := flag.NewFlagSet("baton", flag.ContinueOnError)
	var files paths
	fs.Var(&files, "f", "configuration `FILE|DIR` (repeatable; a directory's *.cfg files in lexical order)")
	check := fs.Bool("c", false, "check the configuration and exit")
	explain := fs.Bool("explain", false, "with -c: print each proxy's effective timeouts and where they came from")
	showVersion := fs.Bool("v", false, "print the version and exit")
	pidFile := fs.String("p", "", "write the master's PID to `FILE`")
	socket := fs.String("S", "", "master CLI unix `SOCKET`")
	takeover := fs.String("x", "", "take the listening sockets over from the Baton serving the stats `SOCKET`, then soft-stop it")
	fs.Bool("W", true, "master-worker mode (always on; accepted for HAProxy compatibility)")
	fs.Bool("Ws", true, "master-worker mode with sd_notify (always on when NOTIFY_SOCKET is set)")
	fs.Bool("db", true, "stay in the foreground (always; accepted for HAProxy compatibility)")
	fs.Bool("d", false, "debug mode: stay in the foreground, logs on stdout and stderr (always; accepted for HAProxy compatibility, e.g. VTest)")
	daemonize := fs.Bool("D", false, "daemon mode: refused, Baton stays in the foreground")
	cond := fs.String("cc", "", "evaluate the condition `EXPR` as .if does and exit 0 (true), 1 (false) or 2 (error)")
	diag := fs.Bool("dD", false, "diagnostic mode: with -c, also print the .diag messages")
	buildOpts := fs.Bool("vv", false, "print the version, the HAProxy language level and the feature list, and exit")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: baton [-f FILE|DIR]... [-c [--explain] [-dD]] [-p PIDFILE] [-S SOCKET] [-x STATS_SOCKET] [-- FILE...]\n"+
			"       baton -cc EXPR\n       baton -vv\n"+
			"       baton reload -S SOCKET\n       baton upgrade -S SOCKET\n       baton reload-test ...\n       baton demo\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	files = append(files, fs.Args()...) // HAProxy's "-- FILE..."
	if *showVersion {
		fmt.Printf("baton version %s\n", version)
		return 0
	}
	if *buildOpts {
		printBuildOptions()
		return 0
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "cc" {
			os.Exit(checkCondition(*cond))
		}
	})
	if *daemonize {
		fmt.Fprintln(os.Stderr, "baton: -D: Baton does not daemonize; run it in the foreground under a service manager")
		return 2
	}
	if len(files) == 0 {
		fs.Usage()
		return 2
	}
	if *check {
		return checkConfig(files, *explain, *diag)
	}
	return runMaster(master.Options{ConfigPaths: files, Socket: *socket, PIDFile: *pidFile, Takeover: *takeover,
		Version: version, Args: args, Spare: true})
}

func runMaster(opt master.Options) int {
	return master.New(opt).Run()
}

// masterCommand asks a running master to reload or upgrade through its CLI
// and prints the result; the exit status says whether it succeeded.
func masterCommand(command string, args []string) int {
	fs := flag.NewFlagSet("baton "+command, flag.ContinueOnError)
	socket := fs.String("S", "", "master CLI unix `SOCKET`")
	timeout := fs.Duration("t", 5*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *socket == "" {
		fmt.Fprintf(os.Stderr, "baton %s: -S SOCKET is required\n", command)
		return 2
	}
	c, err := net.DialTimeout("unix", *socket, 5*time.Second)
	if err != nil {
		fmt.Fprintf(os.Stderr, "baton %s: %v\n", command, err)
		return 1
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(*timeout))
	if _, err := io.WriteString(c, command+"\n"); err != nil {
		fmt.Fprintf(os.Stderr, "baton %s: %v\n", command, err)
		return 1
	}
	var out strings.Builder
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "baton %s: %v\n", command, err)
		return 1
	}
	fmt.Print(out.String())
	if strings.HasPrefix(out.String(), "Success=1") {
		return 0
	}
	return 1
}
