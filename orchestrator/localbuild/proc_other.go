//go:build !unix

package localbuild

import "os/exec"

func setProcessGroup(cmd *exec.Cmd) {}
