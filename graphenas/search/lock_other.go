//go:build !unix

package search

// LockFile is the file of a run directory that the process using the run holds locked.
const LockFile = "lock"

// dirLock does nothing where flock is not available: two processes could then share a run
// directory, as on any system without advisory locks.
type dirLock struct{}

func lockDir(dir string) (*dirLock, error) { return &dirLock{}, nil }

func (l *dirLock) unlock() error { return nil }
