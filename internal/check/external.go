package check

import (
	"context"
	"errors"
	"io"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// External is one run of "option external-check": the command and what
// HAProxy passes it. The command runs with the worker's privileges, once
// per check interval per server: it is only allowed with the global
// "external-check" and "insecure-fork-wanted", as in HAProxy.
type External struct {
	// Command is the program ("external-check command"); Path the PATH
	// it runs with ("external-check path", empty by default).
	Command, Path string
	// ProxyAddr and ProxyPort are the first listener of the proxy (a
	// listen section); empty for a backend, which passes "NOT_USED".
	ProxyAddr, ProxyPort string
	ProxyID              int
	ProxyName            string
	// ServerAddr and ServerPort are the server's address and port (the
	// socket path and "" for a UNIX socket).
	ServerAddr, ServerPort string
	ServerID               int
	ServerName             string
	ServerMaxConn          int
	ServerCurConn          int
	ServerSSL              bool
	// ServerProto is "h1" for an HTTP backend, "tcp" otherwise.
	ServerProto string
	// Timeout bounds the run: "timeout check" when set, else "inter".
	Timeout time.Duration
	// Stderr receives the program's output; nil discards it.
	Stderr io.Writer
}

// RunExternal runs the command with its four arguments (proxy address,
// proxy port, server address, server port) and HAProxy's HAPROXY_*
// environment. Exit status 0 passes (PROCOK); another status fails
// (PROCERR, the status as code); a run beyond the timeout is killed, with
// its process group (PROCTOUT).
func RunExternal(ctx context.Context, x *External) Result {
	start := time.Now()
	pa, pp := x.ProxyAddr, x.ProxyPort
	if pa == "" {
		pa, pp = "NOT_USED", "NOT_USED"
	} else if pp == "" {
		pp = "NOT_USED"
	}
	ctx, cancel := context.WithTimeout(ctx, x.Timeout)
	defer cancel()
	cmd := exec.Command(x.Command, pa, pp, x.ServerAddr, x.ServerPort)
	cmd.Env = []string{
		"PATH=" + x.Path,
		"HAPROXY_PROXY_ADDR=" + x.ProxyAddr,
		"HAPROXY_PROXY_ID=" + itoa(x.ProxyID),
		"HAPROXY_PROXY_NAME=" + x.ProxyName,
		"HAPROXY_PROXY_PORT=" + x.ProxyPort,
		"HAPROXY_SERVER_ADDR=" + x.ServerAddr,
		"HAPROXY_SERVER_CURCONN=" + itoa(x.ServerCurConn),
		"HAPROXY_SERVER_ID=" + itoa(x.ServerID),
		"HAPROXY_SERVER_MAXCONN=" + itoa(x.ServerMaxConn),
		"HAPROXY_SERVER_NAME=" + x.ServerName,
		"HAPROXY_SERVER_PORT=" + x.ServerPort,
		"HAPROXY_SERVER_SSL=" + map[bool]string{false: "0", true: "1"}[x.ServerSSL],
		"HAPROXY_SERVER_PROTO=" + x.ServerProto,
	}
	cmd.Stdout, cmd.Stderr = x.Stderr, x.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	res := Result{}
	if err := cmd.Start(); err != nil {
		res.Status, res.Info = StatusProcErr, err.Error()
		res.Duration = time.Since(start)
		return res
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		// The whole group: a shell script's children go too.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		res.Status = StatusProcTout
		res.Duration = time.Since(start)
		return res
	}
	res.Duration = time.Since(start)
	var ee *exec.ExitError
	switch {
	case err == nil:
		res.Status = StatusProcOK
	case errors.As(err, &ee):
		res.Status, res.Code = StatusProcErr, ee.ExitCode()
	default:
		res.Status, res.Info = StatusProcErr, err.Error()
	}
	return res
}

func itoa(n int) string { return strconv.Itoa(n) }
