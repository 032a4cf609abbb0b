package search

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/graphenas/graphenas/graphenas/ckpt"
)

// LockFile is the file of a run directory that the process using the run holds locked.
const LockFile = "lock"

// lockDir takes the run directory's lock, or says who holds it.
func lockDir(dir string) (*ckpt.Lock, error) {
	l, err := ckpt.TryLock(filepath.Join(dir, LockFile))
	var held *ckpt.LockedError
	if errors.As(err, &held) {
		return nil, fmt.Errorf("search: %s is in use by %s; wait for it to finish or stop it", dir, held.Holder)
	}
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return l, nil
}
