//go:build unix

package ckpt

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Lock is an exclusive, OS-level lock (flock) on a file: it is released when the process ends,
// however it ends, so a killed process never leaves a stale lock.
type Lock struct{ f *os.File }

// ErrLocked is wrapped by TryLock's error when another process holds the lock.
var ErrLocked = errors.New("locked by another process")

// LockedError is TryLock's error when another process holds the lock; Holder is what that
// process wrote into the file ("process 123 (graphenas) on host since …").
type LockedError struct{ Holder string }

func (e *LockedError) Error() string { return "locked by " + e.Holder }

// Is makes errors.Is(err, ErrLocked) hold.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// TryLock takes the lock of the file at path (created if needed), or returns a *LockedError
// (errors.Is ErrLocked) that says who holds it. The file is never opened through a symbolic link: whoever
// sent a directory with a lock file pointing elsewhere would have the receiver overwrite that
// file. The holder writes its process, program, host and start time into the file.
func TryLock(path string) (*Lock, error) {
	f, err := OpenWrite(path, os.O_RDWR|os.O_CREATE, NoFollow)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder := make([]byte, 256)
		n, _ := f.ReadAt(holder, 0)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := strings.TrimSpace(string(holder[:n]))
			if who == "" {
				who = "another process"
			}
			return nil, &LockedError{Holder: who}
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	host, _ := os.Hostname()
	f.Truncate(0)
	fmt.Fprintf(f, "process %d (%s) on %s since %s\n", os.Getpid(), filepath.Base(os.Args[0]), host, time.Now().Format(time.RFC3339))
	f.Sync()
	return &Lock{f: f}, nil
}

// Unlock releases the lock (closing the descriptor releases the flock).
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
