package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// rssSample is the resident memory of a process and its descendants at one moment.
type rssSample struct {
	KiB       int64 `json:"kib"`
	Processes int   `json:"processes"`
	Requests  int64 `json:"after_requests"`
}

// treeRSS sums VmRSS over pid and every process below it (a server's workers: WEBrick's
// forked workers, uvicorn's worker processes), read from /proc.
func treeRSS(pid int) (rssSample, error) {
	children := map[int][]int{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return rssSample{}, err
	}
	for _, entry := range entries {
		child, err := strconv.Atoi(entry.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", entry.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the
		// last ')'.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) < 2 {
			continue
		}
		if parent, err := strconv.Atoi(fields[1]); err == nil {
			children[parent] = append(children[parent], child)
		}
	}
	var sample rssSample
	queue := []int{pid}
	for len(queue) > 0 {
		current := queue[0]
		queue = queue[1:]
		kib, err := vmRSS(current)
		if err != nil {
			if current == pid {
				return rssSample{}, fmt.Errorf("process %d: %w", pid, err)
			}
			continue
		}
		sample.KiB += kib
		sample.Processes++
		queue = append(queue, children[current]...)
	}
	return sample, nil
}

// vmRSS is a process's VmRSS line from /proc/PID/status, in KiB.
func vmRSS(pid int) (int64, error) {
	status, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			fields := strings.Fields(rest)
			if len(fields) == 2 && fields[1] == "kB" {
				return strconv.ParseInt(fields[0], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status (a zombie?)", pid)
}
