//go:build !linux

package sandbox

import "syscall"

// childAttr: only Linux can tie the child's life to the sandbox's; here
// the sandbox's own Close (and Ctrl-C's) stop it.
func childAttr() *syscall.SysProcAttr { return nil }
