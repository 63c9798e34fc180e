package reload_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"baton/internal/reloadtest"
	"baton/test/harness"
)

// inPlaceWriter rewrites a configuration file in place, the way `cat >
// file` or a template renderer does: it opens the file with O_TRUNC and
// writes it a few bytes at a time with pauses, so that a reload arriving
// meanwhile would find it half-written. (A writer that reopens the file
// for every piece is guarded by the settle interval only, a matter of
// timing that a loaded machine can defeat: package settle tests that rule
// on a fake clock.)
type inPlaceWriter struct {
	path    string
	render  func(n int) string
	written atomic.Int64 // the last version completely written
}

func (w *inPlaceWriter) write(n int, rng *rand.Rand) error {
	data := []byte(w.render(n))
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	for len(data) > 0 {
		k := min(4+rng.IntN(24), len(data))
		if _, err := f.Write(data[:k]); err != nil {
			f.Close()
			return err
		}
		data = data[k:]
		time.Sleep(time.Duration(200+rng.IntN(1800)) * time.Microsecond)
	}
	w.written.Store(int64(n))
	return f.Close()
}

// TestReloadStormInPlace (issue 8): a reload every 50 ms for 10 s,
// alternately by SIGHUP and through the master CLI, while the file is
// rewritten in place between and during reloads, under the full traffic
// mix (a new connection per request, busy and idle keep-alive clients,
// slow uploads and downloads). No request is refused, reset or failed; no
// reload ever reads a half-written file (a failed reload only ever says
// the file kept changing); the last version serves at the end, from one
// generation, and the old generations are gone within 5 s.
func TestReloadStormInPlace(t *testing.T) {
	const (
		period   = 50 * time.Millisecond
		duration = 10 * time.Second
	)
	a := backend(t, "a")
	front := harness.FreeAddr(t)
	render := func(n int) string {
		return strings.Replace(config(front, a), "    default_backend be\n",
			fmt.Sprintf("    http-response set-header X-Config %d\n    default_backend be\n", n), 1)
	}
	bt := harness.Start(t, render(0), []string{front})
	master := bt.Cmd.Process.Pid
	traffic := reloadtest.StartTraffic(front, reloadtest.DefaultMix, 10*time.Second)

	w := &inPlaceWriter{path: bt.Config, render: render}
	stopWriting := make(chan struct{})
	writerDone := make(chan error, 1)
	go func() {
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 8))
		for n := 1; ; n++ {
			select {
			case <-stopWriting:
				writerDone <- nil
				return
			default:
			}
			if err := w.write(n, rng); err != nil {
				writerDone <- err
				return
			}
			time.Sleep(time.Duration(20+rng.IntN(180)) * time.Millisecond)
		}
	}()

	var cli sync.WaitGroup
	var mu sync.Mutex
	var ok, keptChanging int
	var otherFailures []string
	judge := func(out string, err error) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil && strings.HasPrefix(out, "Success=1"):
			ok++
		case err == nil && strings.Contains(out, "configuration kept changing"):
			keptChanging++
		default:
			otherFailures = append(otherFailures, fmt.Sprintf("%v\n%s", err, out))
		}
	}
	tick := time.NewTicker(period)
	deadline := time.Now().Add(duration)
	requested := 0
	for time.Now().Before(deadline) {
		<-tick.C
		requested++
		if requested%2 == 1 {
			bt.Signal(syscall.SIGHUP)
			continue
		}
		cli.Add(1)
		go func() {
			defer cli.Done()
			judge(cliCommand(bt.Socket, "reload"))
		}()
	}
	tick.Stop()
	close(stopWriting)
	if err := <-writerDone; err != nil {
		t.Fatalf("writer: %v", err)
	}
	cli.Wait()

	// The last version, written in place one more time, serves once a
	// reload reads it.
	last := int(w.written.Load()) + 1
	if err := w.write(last, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	out, err := cliCommand(bt.Socket, "reload")
	if err != nil || !strings.HasPrefix(out, "Success=1") {
		t.Fatalf("final reload: %v\n%s", err, out)
	}
	harness.Eventually(t, 10*time.Second, "version "+strconv.Itoa(last)+" serves", func() bool {
		got, err := freshGet(front)
		return err == nil && got == strconv.Itoa(last)
	})
	sum := traffic.Stop()

	t.Logf("%d reloads requested (%d by CLI: %d succeeded, %d found the file still changing), %d versions written, %d requests: %d failed, %d raced %v",
		requested, requested/2, ok, keptChanging, last, sum.Requests, sum.Failed, sum.Races, sum.ByOutcome)
	if sum.Failed > 0 || sum.Races > 0 {
		t.Errorf("%d failed and %d raced of %d requests (%v):\n%s", sum.Failed, sum.Races, sum.Requests, sum.ByOutcome, sum.Report)
	}
	if len(otherFailures) > 0 {
		t.Errorf("%d CLI reloads failed for another reason than a changing file (a half-written file was read?), e.g.:\n%s",
			len(otherFailures), otherFailures[0])
	}
	if bt.Stderr.Contains("no listener") || bt.Stderr.Contains("closing listeners") {
		t.Errorf("a reload read a half-written file:\n%s", bt.Stderr)
	}
	if ok < 10 {
		t.Errorf("only %d CLI reloads succeeded", ok)
	}
	if sum.Requests < 500 {
		t.Errorf("only %d requests made", sum.Requests)
	}

	// One serving generation, the old ones gone within 5 s.
	var show string
	harness.Eventually(t, 5*time.Second, "old generations gone", func() bool {
		show = bt.CLI("show proc")
		return len(workerChildren(t, master, show)) == 1 && strings.Count(show, " serving ") == 1 &&
			!strings.Contains(show, "draining") && !strings.Contains(show, "starting")
	})
}
