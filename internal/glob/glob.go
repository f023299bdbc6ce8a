// Package glob matches slash-separated paths against patterns in which
// "**" stands for any number of path segments. The ignore file and the
// --skip-dirs/--skip-files flags share it, so a pattern means the same
// thing everywhere.
package glob

import (
	"fmt"
	"path"
	"strings"
)

// MaxSegments bounds the "/"-separated parts of a pattern.
const MaxSegments = 64

// Validate reports a malformed pattern.
func Validate(pattern string) error {
	segs := strings.Split(pattern, "/")
	if len(segs) > MaxSegments {
		return fmt.Errorf("more than %d path segments", MaxSegments)
	}
	for _, s := range segs {
		if s == "**" {
			continue
		}
		if _, err := path.Match(s, ""); err != nil {
			return err
		}
	}
	return nil
}

// Match reports whether the slash-separated name matches pattern as a
// whole. Each pattern segment is a path.Match pattern for one name segment,
// and "**" matches any number of segments, none included. It runs in time
// proportional to the product of the segment counts, whatever the number
// of "**", so a hostile pattern cannot make it slow.
func Match(pattern, name string) bool {
	ps := strings.Split(pattern, "/")
	ns := strings.Split(name, "/")
	// ok[j] is true when ps[:i] matches ns[:j], for the current i.
	ok := make([]bool, len(ns)+1)
	next := make([]bool, len(ns)+1)
	ok[0] = true
	for _, p := range ps {
		if p == "**" {
			// ** matches any run of segments: next[j] = any ok[k], k <= j.
			reached := false
			for j := range ok {
				reached = reached || ok[j]
				next[j] = reached
			}
		} else {
			next[0] = false
			for j := 1; j <= len(ns); j++ {
				m := false
				if ok[j-1] {
					m, _ = path.Match(p, ns[j-1])
				}
				next[j] = m
			}
		}
		ok, next = next, ok
	}
	return ok[len(ns)]
}
