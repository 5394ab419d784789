//go:build linux

package redistest

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// sysProcAttr makes the kernel SIGKILL a started redis-server when its
// parent dies, so a crashed or killed test binary leaves none behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// Pdeathsig fires when the parent *thread* exits, not the process, and the
// Go runtime may end a thread (one whose locked goroutine returned). So every
// process is started from one goroutine locked to its thread, which lives
// until Cleanup (see go.dev/issue/27505).
var spawn struct {
	mu sync.Mutex
	ch chan spawnReq
}

type spawnReq struct {
	cmd  *exec.Cmd
	errc chan error
}

// spawner starts processes from its own OS thread. Named for IgnoreGoroutines.
func spawner(ch chan spawnReq) {
	runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
	for r := range ch {
		r.errc <- r.cmd.Start()
	}
}

func startCmd(cmd *exec.Cmd) error {
	spawn.mu.Lock()
	defer spawn.mu.Unlock()
	if spawn.ch == nil {
		spawn.ch = make(chan spawnReq)
		go spawner(spawn.ch)
	}
	errc := make(chan error, 1)
	spawn.ch <- spawnReq{cmd, errc}
	return <-errc
}

// stopSpawner ends the spawner goroutine and its thread; call it only when
// no process started from it is meant to live on.
func stopSpawner() {
	spawn.mu.Lock()
	defer spawn.mu.Unlock()
	if spawn.ch != nil {
		close(spawn.ch)
		spawn.ch = nil
	}
}
