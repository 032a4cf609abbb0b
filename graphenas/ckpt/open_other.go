//go:build !unix

package ckpt

import (
	"errors"
	"io/fs"
	"os"
)

var errLoop = errors.New("symbolic link")

// openRead opens path for reading; with NoFollow a symbolic link is refused first (a check, then
// the open: the best a system without O_NOFOLLOW allows).
func openRead(path string, link Link) (*os.File, error) {
	if link == NoFollow {
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, errSymlink(path)
		}
	}
	return os.OpenFile(path, os.O_RDONLY, 0)
}

// openWrite opens path with flags; with NoFollow a symbolic link is refused first.
func openWrite(path string, flags int, link Link) (*os.File, error) {
	if link == NoFollow {
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, errSymlink(path)
		}
	}
	return os.OpenFile(path, flags, 0o644)
}

// linkCount is unknown here.
func linkCount(fs.FileInfo) (uint64, bool) { return 0, false }
