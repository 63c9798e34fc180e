package worker

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
)

// SpareEnv, set to "1" in a worker's environment, says the process is a
// spare (the master's spare.go): it was started before any reload asked
// for it, with only its control channel (ControlFD) and a descriptor
// channel (ControlFD+1). Its start message says how many descriptors wait
// there; they stand for what a freshly executed worker inherits from
// ControlFD+1 on, so descriptor numbers in the start message (Counters,
// Tables) are translated by position.
const SpareEnv = "BATON_WORKER_SPARE"

// passedTimeout bounds the wait for descriptors the master sent before
// the start message: they are queued already, so this only guards
// against a master that broke its side of the protocol.
const passedTimeout = 5 * time.Second

func descriptorChannel() (*net.UnixConn, error) {
	f := os.NewFile(ControlFD+1, "descriptors")
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("descriptor channel on fd %d: %w", ControlFD+1, err)
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("descriptor channel: %T is not a unix socket", c)
	}
	return uc, nil
}

// receivePassed reads the m.Passed descriptors of a spare's start and
// points the listeners, the hand-over channel and the segment references
// (counters, stick tables, caches) at them. The channel is closed afterwards: a spare starts once.
func (w *worker) receivePassed(m *Message) error {
	c := w.opt.Descriptors
	if c == nil {
		return errors.New("start: descriptors were passed, but this worker has no descriptor channel")
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(passedTimeout))
	fds := make([]int, 0, m.Passed)
	var buf [1]byte
	oob := make([]byte, syscall.CmsgSpace(4*min(m.Passed, 253)))
	for len(fds) < m.Passed {
		_, oobn, _, _, err := c.ReadMsgUnix(buf[:], oob)
		if err != nil {
			closeFDs(fds)
			return fmt.Errorf("start: receiving descriptors: %w", err)
		}
		msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
		if err != nil {
			closeFDs(fds)
			return fmt.Errorf("start: receiving descriptors: %w", err)
		}
		got := 0
		for _, cm := range msgs {
			rights, err := syscall.ParseUnixRights(&cm)
			if err == nil {
				fds = append(fds, rights...)
				got += len(rights)
			}
		}
		if got == 0 {
			closeFDs(fds)
			return errors.New("start: the descriptor channel carried no descriptors")
		}
	}
	if len(fds) != m.Passed {
		closeFDs(fds)
		return fmt.Errorf("start: %d descriptors passed, %d announced", len(fds), m.Passed)
	}
	// Position i stands for descriptor ControlFD+1+i of an executed
	// worker: a segment reference's descriptor moves to what came there.
	move := func(what string, fd *int) error {
		i := *fd - ControlFD - 1
		if i < 0 || i >= len(fds) {
			return fmt.Errorf("start: %s at descriptor %d, outside the %d passed", what, *fd, len(fds))
		}
		*fd = fds[i]
		return nil
	}
	w.opt.Listener = func(i int) *os.File {
		if i >= len(fds) {
			return nil
		}
		return os.NewFile(uintptr(fds[i]), fmt.Sprintf("listener-%d", i))
	}
	w.opt.HandOff = func(n int) *os.File {
		if n >= len(fds) {
			return nil
		}
		return os.NewFile(uintptr(fds[n]), "hand-over")
	}
	if m.Counters != nil {
		if err := move("counters", &m.Counters.FD); err != nil {
			return err
		}
	}
	if m.Tables != nil {
		if err := move("tables", &m.Tables.FD); err != nil {
			return err
		}
	}
	for i := range m.Caches {
		if err := move(fmt.Sprintf("cache %q", m.Caches[i].Name), &m.Caches[i].FD); err != nil {
			return err
		}
	}
	return nil
}

func closeFDs(fds []int) {
	for _, fd := range fds {
		syscall.Close(fd)
	}
}
