package harness

import (
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// process is a child a test started (baton or haproxy): start reaps it in
// the background and stops it at cleanup, with a signal first and SIGKILL
// if it outlives a grace of 5 s.
type process struct {
	Cmd    *exec.Cmd
	exited chan struct{}
	err    error
}

// start runs p.Cmd; stop is the signal sent at cleanup.
func (p *process) start(t testing.TB, stop syscall.Signal) {
	t.Helper()
	p.exited = make(chan struct{})
	if err := p.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.Cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() { p.stop(stop) })
}

// Exited reports whether the process has exited.
func (p *process) Exited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

func (p *process) stop(sig syscall.Signal) {
	if p.Exited() {
		return
	}
	p.Cmd.Process.Signal(sig)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		p.Cmd.Process.Kill()
		<-p.exited
	}
}
