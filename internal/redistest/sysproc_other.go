//go:build !linux

package redistest

import (
	"os/exec"
	"syscall"
)

// sysProcAttr: no Pdeathsig outside Linux; Cleanup must stop the servers.
func sysProcAttr() *syscall.SysProcAttr { return nil }

func startCmd(cmd *exec.Cmd) error { return cmd.Start() }

func stopSpawner() {}
