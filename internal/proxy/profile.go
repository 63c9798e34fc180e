package proxy

import (
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"sync"
	"time"
)

// startProfile is an opt-in CPU profile of the data path, for
// benchmarks: BATON_CPUPROFILE names the file (the process id is
// appended, since the master starts one worker per generation) and
// BATON_CPUPROFILE_SECONDS how long to record (default 10). It starts
// with the first Engine of the process.
var profileOnce sync.Once

func startProfile() {
	profileOnce.Do(func() {
		name := os.Getenv("BATON_CPUPROFILE")
		if name == "" {
			return
		}
		secs, err := strconv.Atoi(os.Getenv("BATON_CPUPROFILE_SECONDS"))
		if err != nil || secs <= 0 {
			secs = 10
		}
		f, err := os.Create(fmt.Sprintf("%s.%d", name, os.Getpid()))
		if err != nil {
			return
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return
		}
		time.AfterFunc(time.Duration(secs)*time.Second, func() {
			pprof.StopCPUProfile()
			f.Close()
		})
	})
}
