package search

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/graphenas/graphenas/graphenas/ckpt"
)

// withCheckpointHook makes the search call fn at each phase of writing a checkpoint.
func withCheckpointHook(fn func(phase string)) Option {
	return func(o *options) { o.checkpointHook = fn }
}

// frameCheckpoint puts a checkpoint's JSON body in its file format: the magic, the version, the
// body's length and CRC-32, then the body.
func frameCheckpoint(body []byte) []byte { return ckpt.Frame(checkpointMagic, checkpointVersion, body) }

// schema describes the JSON layout of t: every field's JSON name and type, recursively, in a
// stable text form. TestCheckpointSchema compares it with a golden copy.
func schema(t reflect.Type) string {
	var b strings.Builder
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type, indent string)
	walk = func(t reflect.Type, indent string) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
				break
			}
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		type field struct{ name, typ string }
		var fields []field
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() || f.Tag.Get("json") == "-" {
				continue
			}
			fields = append(fields, field{ckpt.JSONName(f), f.Type.String()})
		}
		sort.Slice(fields, func(i, j int) bool { return fields[i].name < fields[j].name })
		fmt.Fprintf(&b, "%s%s {\n", indent, t.String())
		for _, f := range fields {
			fmt.Fprintf(&b, "%s  %s %s\n", indent, f.name, f.typ)
		}
		fmt.Fprintf(&b, "%s}\n", indent)
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); f.IsExported() && f.Tag.Get("json") != "-" {
				walk(f.Type, indent)
			}
		}
	}
	walk(t, "")
	return b.String()
}
