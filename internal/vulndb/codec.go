package vulndb

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The index stores Affected entries in a small binary form: the matcher
// decodes them for every package it looks up, and JSON would be several
// times larger and slower. ID and Ecosystem are not stored; they are part of
// the key. Every length and count is a uvarint, every string is a length
// followed by its bytes.
//
//	entries  = version:byte count { entry }
//	entry    = package severity count { range } strings(versions) count { import }
//	range    = type repo count { kind:byte value }
//	import   = path strings(goos) strings(goarch) strings(symbols)
const codecVersion = 1

// Event kinds in the binary form.
const (
	eventIntroduced byte = iota + 1
	eventFixed
	eventLastAffected
	eventLimit
)

var errCodec = errors.New("malformed index entry")

// encodeAffected appends the binary form of entries to b.
func encodeAffected(b []byte, entries []Affected) []byte {
	b = append(b, codecVersion)
	b = binary.AppendUvarint(b, uint64(len(entries)))
	for i := range entries {
		a := &entries[i]
		b = appendString(b, a.Package)
		b = appendString(b, a.Severity)
		b = binary.AppendUvarint(b, uint64(len(a.Ranges)))
		for _, r := range a.Ranges {
			b = appendString(b, r.Type)
			b = appendString(b, r.Repo)
			b = binary.AppendUvarint(b, uint64(len(r.Events)))
			for _, e := range r.Events {
				kind, value := eventKind(e)
				b = append(b, kind)
				b = appendString(b, value)
			}
		}
		b = appendStrings(b, a.Versions)
		b = binary.AppendUvarint(b, uint64(len(a.Imports)))
		for _, im := range a.Imports {
			b = appendString(b, im.Path)
			b = appendStrings(b, im.GOOS)
			b = appendStrings(b, im.GOARCH)
			b = appendStrings(b, im.Symbols)
		}
	}
	return b
}

func eventKind(e Event) (byte, string) {
	switch {
	case e.Introduced != "":
		return eventIntroduced, e.Introduced
	case e.Fixed != "":
		return eventFixed, e.Fixed
	case e.LastAffected != "":
		return eventLastAffected, e.LastAffected
	}
	return eventLimit, e.Limit
}

// decodeAffected reads entries written by encodeAffected. It never panics
// and never allocates more than the input could describe.
func decodeAffected(b []byte) ([]Affected, error) {
	d := decoder{b: b}
	if v := d.byte(); v != codecVersion {
		return nil, fmt.Errorf("%w: version %d", errCodec, v)
	}
	n := d.count()
	out := make([]Affected, 0, n)
	for range n {
		var a Affected
		a.Package = d.string()
		a.Severity = d.string()
		if nr := d.count(); nr > 0 {
			a.Ranges = make([]Range, 0, nr)
			for range nr {
				r := Range{Type: d.string(), Repo: d.string()}
				ne := d.count()
				r.Events = make([]Event, 0, ne)
				for range ne {
					kind, value := d.byte(), d.string()
					var e Event
					switch kind {
					case eventIntroduced:
						e.Introduced = value
					case eventFixed:
						e.Fixed = value
					case eventLastAffected:
						e.LastAffected = value
					case eventLimit:
						e.Limit = value
					default:
						d.fail()
					}
					r.Events = append(r.Events, e)
				}
				a.Ranges = append(a.Ranges, r)
			}
		}
		a.Versions = d.strings()
		if ni := d.count(); ni > 0 {
			a.Imports = make([]GoImport, 0, ni)
			for range ni {
				a.Imports = append(a.Imports, GoImport{
					Path:    d.string(),
					GOOS:    d.strings(),
					GOARCH:  d.strings(),
					Symbols: d.strings(),
				})
			}
		}
		if d.err != nil {
			return nil, d.err
		}
		out = append(out, a)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	if d.err != nil {
		return nil, d.err
	}
	return out, nil
}

// encodeStrings and decodeStrings store the list of index keys of a record.
func encodeStrings(ss []string) []byte { return appendStrings(nil, ss) }

func decodeStrings(b []byte) ([]string, error) {
	d := decoder{b: b}
	ss := d.strings()
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	return ss, d.err
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendStrings(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendString(b, s)
	}
	return b
}

// decoder reads the binary form; after the first error every read returns
// a zero value and err stays set.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCodec
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads an element count. Every element takes at least one byte, so a
// count larger than what is left is corrupt; this bounds allocations.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *decoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) strings() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	ss := make([]string, 0, n)
	for range n {
		ss = append(ss, d.string())
	}
	if d.err != nil {
		return nil
	}
	return ss
}
