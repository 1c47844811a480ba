package sandbox

import "syscall"

// childAttr has the kernel kill the `ccm serve` child if the sandbox dies
// without stopping it (SIGKILL, a crash): no ccm is left running.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
