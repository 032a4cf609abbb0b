//go:build !unix

package ckpt

import "errors"

// Lock does nothing where flock is not available: two processes could then share a file, as on
// any system without advisory locks.
type Lock struct{}

// ErrLocked is wrapped by TryLock's error when another process holds the lock.
var ErrLocked = errors.New("locked by another process")

// LockedError is TryLock's error when another process holds the lock (never, here).
type LockedError struct{ Holder string }

func (e *LockedError) Error() string { return "locked by " + e.Holder }

// Is makes errors.Is(err, ErrLocked) hold.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// TryLock takes no lock here.
func TryLock(path string) (*Lock, error) { return &Lock{}, nil }

// Unlock does nothing.
func (l *Lock) Unlock() error { return nil }
