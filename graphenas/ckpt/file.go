// Package ckpt holds what GraphEnas's checkpoint files share: their framing (a magic line naming
// the kind of file, a format version, the body's length and CRC-32, then the body), a check that
// every number saved is finite, and writing a file so that a crash leaves either the old file or
// the new one, never half of one.
package ckpt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
)

// headerSize is the framing after the magic: uint32 version, uint64 body length, uint32 CRC-32
// (IEEE) of the body, little-endian.
const headerSize = 16

// Frame returns a file's bytes: magic, version, the body's length and checksum, then body.
func Frame(magic string, version uint32, body []byte) []byte {
	var file bytes.Buffer
	file.WriteString(magic)
	var head [headerSize]byte
	binary.LittleEndian.PutUint32(head[0:], version)
	binary.LittleEndian.PutUint64(head[4:], uint64(len(body)))
	binary.LittleEndian.PutUint32(head[12:], crc32.ChecksumIEEE(body))
	file.Write(head[:])
	file.Write(body)
	return file.Bytes()
}

// Unframe checks raw's magic, length and checksum and returns its version and body. The caller
// decides what to do with a version it does not read (the body of another version may not even
// be checksummed the same way, so the checks below apply to every version).
func Unframe(raw []byte, magic string) (version uint32, body []byte, err error) {
	if !bytes.HasPrefix(raw, []byte(magic)) {
		return 0, nil, errors.New("not a GraphEnas checkpoint of this kind")
	}
	raw = raw[len(magic):]
	if len(raw) < headerSize {
		return 0, nil, errors.New("truncated header")
	}
	version = binary.LittleEndian.Uint32(raw[0:])
	size := binary.LittleEndian.Uint64(raw[4:])
	sum := binary.LittleEndian.Uint32(raw[12:])
	body = raw[headerSize:]
	switch {
	case uint64(len(body)) != size:
		return version, nil, fmt.Errorf("truncated or padded: %d bytes of body, the header says %d", len(body), size)
	case crc32.ChecksumIEEE(body) != sum:
		return version, nil, errors.New("checksum mismatch (the file is corrupt)")
	}
	return version, body, nil
}

// WriteTemp writes data to a temporary file beside path (mode 0644), synced, and returns its name.
func WriteTemp(path string, data []byte) (string, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return "", err
	}
	_, werr := tmp.Write(data)
	merr := tmp.Chmod(0o644)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, merr, serr, cerr); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return tmp.Name(), nil
}

// WriteAtomic writes data to path through a synced temporary file renamed over it, then syncs
// the directory.
func WriteAtomic(path string, data []byte) error {
	tmp, err := WriteTemp(path, data)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// SyncDir flushes a directory's entries (renames, new files) to disk.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}

// Encode returns a checkpoint file holding state as JSON, framed with magic and version. Every
// number of state must be finite (CheckFinite, from "checkpoint"): a state that diverged is not
// worth saving.
func Encode(magic string, version uint32, state any) ([]byte, error) {
	if err := CheckFinite(state, "checkpoint"); err != nil {
		return nil, err
	}
	body, err := json.Marshal(state)
	if err != nil {
		return nil, err
	}
	return Frame(magic, version, body), nil
}

// DecodeJSON decodes a checkpoint's body into v, refusing unknown fields: a file of another
// layout fails loudly instead of resuming with fields zeroed.
func DecodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// WriteJSON writes v to path as indented JSON ending in a newline, atomically (WriteAtomic):
// the form of every JSON file GraphEnas writes for people and tools to read.
func WriteJSON(path string, v any) error {
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return WriteAtomic(path, append(out, '\n'))
}
