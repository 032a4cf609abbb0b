//go:build unix

package ckpt

import (
	"io/fs"
	"os"
	"syscall"
)

var errLoop = syscall.ELOOP

// openRead opens path for reading without blocking on a FIFO (O_NONBLOCK changes nothing for
// regular files) and, with NoFollow, without following a symbolic link.
func openRead(path string, link Link) (*os.File, error) {
	flags := os.O_RDONLY | syscall.O_NONBLOCK
	if link == NoFollow {
		flags |= syscall.O_NOFOLLOW
	}
	f, err := os.OpenFile(path, flags, 0)
	if err != nil && link == NoFollow && isLinkRefusal(err) {
		return nil, errSymlink(path)
	}
	return f, err
}

// openWrite opens path with flags, O_NONBLOCK (a FIFO neither blocks nor is accepted) and, with
// NoFollow, O_NOFOLLOW.
func openWrite(path string, flags int, link Link) (*os.File, error) {
	flags |= syscall.O_NONBLOCK
	if link == NoFollow {
		flags |= syscall.O_NOFOLLOW
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil && link == NoFollow && isLinkRefusal(err) {
		return nil, errSymlink(path)
	}
	return f, err
}

// linkCount returns the number of names of the file fi describes.
func linkCount(fi fs.FileInfo) (uint64, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return uint64(st.Nlink), true
}
