package ckpt

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// MaxFileSize bounds every file GraphEnas reads back: far above what it writes (a search's
// checkpoint at 32 channels is a few megabytes), far below what would exhaust memory. A larger
// file is refused before a byte of it is read.
const MaxFileSize = 1 << 30

// Link says whether a file's name may be a symbolic link. A file the user named on the command
// line may be one (Follow); a file GraphEnas itself finds inside a run directory may not
// (NoFollow): run directories are copied and shared, and a link placed in one would make whoever
// runs it read or write a file elsewhere.
type Link bool

// The two answers Link can give.
const (
	Follow   Link = true
	NoFollow Link = false
)

// ReadFile reads the file at path whole, refusing before reading anything: a path that is not a
// regular file (a directory, a FIFO, a device such as /dev/zero), a symbolic link when link is
// NoFollow, and a file larger than limit bytes (MaxFileSize when limit is 0). Errors name path
// and wrap fs.ErrNotExist when there is no file.
func ReadFile(path string, limit int64, link Link) ([]byte, error) {
	if limit <= 0 {
		limit = MaxFileSize
	}
	f, err := OpenRead(path, link)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%s has %d bytes, more than any file of its kind can hold (%d)", path, fi.Size(), limit)
	}
	// The size may change under us: read at most limit+1 bytes and refuse a file that grew past it.
	raw, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(raw)) > limit {
		return nil, fmt.Errorf("%s grew past %d bytes while it was read", path, limit)
	}
	return raw, nil
}

// OpenRead opens the regular file at path for reading (a FIFO, a device or a directory is
// refused without blocking), refusing a symbolic link when link is NoFollow.
func OpenRead(path string, link Link) (*os.File, error) {
	f, err := openRead(path, link)
	if err != nil {
		return nil, err
	}
	if _, err := regular(f, path); err != nil {
		return nil, err
	}
	return f, nil
}

// regular returns f's file information when f is a regular file, and otherwise closes it and
// returns an error.
func regular(f *os.File, path string) (os.FileInfo, error) {
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file (%s)", path, fi.Mode().Type())
	}
	return fi, nil
}

// OpenWrite opens path for writing with flags (os.O_CREATE, os.O_APPEND, …; O_WRONLY or O_RDWR
// is the caller's), refusing a symbolic link when link is NoFollow, and anything but a regular
// file with a single name (a hard link would let a copied run directory write elsewhere too).
func OpenWrite(path string, flags int, link Link) (*os.File, error) {
	f, err := openWrite(path, flags, link)
	if err != nil {
		return nil, err
	}
	fi, err := regular(f, path)
	if err != nil {
		return nil, err
	}
	if n, ok := linkCount(fi); ok && n > 1 && link == NoFollow {
		f.Close()
		return nil, fmt.Errorf("%s has %d names (hard links): refusing to write through it", path, n)
	}
	return f, nil
}

// errSymlink is the error for a symbolic link where none may be.
func errSymlink(path string) error {
	return fmt.Errorf("%s is a symbolic link, which GraphEnas does not follow inside a run directory (replace it with the file itself)", path)
}

// isLinkRefusal reports whether err is the kernel refusing a symbolic link (O_NOFOLLOW: ELOOP).
func isLinkRefusal(err error) bool { return errors.Is(err, errLoop) }
