package distro

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redline-sec/redline/internal/inventory"
)

// Limits for release files. Real os-release files are under 1 KiB.
const (
	maxReleaseSize  = 64 << 10
	maxReleaseLines = 1000
)

// release is what one release file says about the distribution.
type release struct {
	ID         string
	IDLike     string
	VersionID  string
	Version    string
	Codename   string
	PrettyName string
	CPEName    string
}

// parseOSRelease parses an os-release file (os-release(5)): KEY=VALUE lines,
// values optionally quoted in shell style, comments starting with '#'.
// Lines it cannot read give a *inventory.ParseError naming the first one;
// the keys read around them are kept.
func parseOSRelease(name string, data []byte) (release, error) {
	var r release
	var firstErr error
	lines := 0
	for len(data) > 0 {
		lines++
		if lines > maxReleaseLines {
			return r, &inventory.ParseError{Path: name, Line: lines, Err: fmt.Errorf("more than %d lines", maxReleaseLines)}
		}
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		text := strings.TrimSpace(string(line))
		if text == "" || text[0] == '#' {
			continue
		}
		key, raw, ok := strings.Cut(text, "=")
		if !ok || key == "" {
			if firstErr == nil {
				firstErr = &inventory.ParseError{Path: name, Line: lines, Err: errors.New("line is not KEY=VALUE")}
			}
			continue
		}
		value, err := unquote(raw)
		if err != nil {
			if firstErr == nil {
				firstErr = &inventory.ParseError{Path: name, Line: lines, Err: fmt.Errorf("%s: %w", key, err)}
			}
			continue
		}
		switch key {
		case "ID":
			r.ID = value
		case "ID_LIKE":
			r.IDLike = value
		case "VERSION_ID":
			r.VersionID = value
		case "VERSION":
			r.Version = value
		case "VERSION_CODENAME":
			r.Codename = value
		case "PRETTY_NAME":
			r.PrettyName = value
		case "CPE_NAME":
			r.CPEName = value
		}
	}
	if r.ID == "" && firstErr == nil {
		firstErr = &inventory.ParseError{Path: name, Err: errors.New("no ID")}
	}
	return r, firstErr
}

// unquote reads a value as os-release(5) allows it: bare, in single quotes,
// or in double quotes with backslash escapes.
func unquote(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	switch raw[0] {
	case '\'':
		if len(raw) < 2 || raw[len(raw)-1] != '\'' {
			return "", errors.New("unterminated single quote")
		}
		return raw[1 : len(raw)-1], nil
	case '"':
		if len(raw) < 2 || raw[len(raw)-1] != '"' {
			return "", errors.New("unterminated double quote")
		}
		inner := raw[1 : len(raw)-1]
		if !strings.ContainsRune(inner, '\\') {
			return inner, nil
		}
		var b strings.Builder
		for i := 0; i < len(inner); i++ {
			c := inner[i]
			if c == '\\' && i+1 < len(inner) {
				i++
				c = inner[i]
			}
			b.WriteByte(c)
		}
		return b.String(), nil
	}
	return raw, nil
}

// parseLSBRelease parses /etc/lsb-release (DISTRIB_ID, DISTRIB_RELEASE,
// DISTRIB_CODENAME, DISTRIB_DESCRIPTION), which Ubuntu images carry.
func parseLSBRelease(name string, data []byte) (release, error) {
	// Same KEY=VALUE syntax as os-release, other keys.
	var r release
	lines := 0
	for len(data) > 0 {
		lines++
		if lines > maxReleaseLines {
			return r, &inventory.ParseError{Path: name, Line: lines, Err: fmt.Errorf("more than %d lines", maxReleaseLines)}
		}
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		key, raw, ok := strings.Cut(strings.TrimSpace(string(line)), "=")
		if !ok {
			continue
		}
		value, err := unquote(raw)
		if err != nil {
			return r, &inventory.ParseError{Path: name, Line: lines, Err: fmt.Errorf("%s: %w", key, err)}
		}
		switch key {
		case "DISTRIB_ID":
			r.ID = strings.ToLower(value)
		case "DISTRIB_RELEASE":
			r.VersionID = value
		case "DISTRIB_CODENAME":
			r.Codename = value
		case "DISTRIB_DESCRIPTION":
			r.PrettyName = value
			r.Version = value
		}
	}
	if r.ID == "" {
		return r, &inventory.ParseError{Path: name, Err: errors.New("no DISTRIB_ID")}
	}
	return r, nil
}

// parseAlpineRelease reads /etc/alpine-release: one line, the full version.
func parseAlpineRelease(name string, data []byte) (release, error) {
	v := firstLine(data)
	if v == "" {
		return release{}, &inventory.ParseError{Path: name, Line: 1, Err: errors.New("empty")}
	}
	return release{ID: "alpine", VersionID: v, PrettyName: "Alpine Linux v" + majorMinor(v)}, nil
}

// parseDebianVersion reads /etc/debian_version: "12.11" on a release,
// "trixie/sid" on testing and unstable, which have no release number.
func parseDebianVersion(name string, data []byte) (release, error) {
	v := firstLine(data)
	if v == "" {
		return release{}, &inventory.ParseError{Path: name, Line: 1, Err: errors.New("empty")}
	}
	r := release{ID: "debian", PrettyName: "Debian GNU/Linux " + v}
	if major, _, _ := strings.Cut(v, "."); isDigits(major) {
		r.VersionID = major
	}
	return r, nil
}

// redhatReleaseIDs maps the product name at the start of /etc/redhat-release
// (and its siblings) to the os-release ID the distribution uses.
var redhatReleaseIDs = []struct{ prefix, id string }{
	{"Red Hat Enterprise Linux", "rhel"},
	{"CentOS Stream", "centos"},
	{"CentOS", "centos"},
	{"Rocky Linux", "rocky"},
	{"AlmaLinux", "almalinux"},
	{"Fedora", "fedora"},
	{"Oracle Linux", "ol"},
	{"Amazon Linux", "amzn"},
	{"Mageia", "mageia"},
}

// parseRedHatRelease reads /etc/redhat-release, /etc/centos-release and the
// like: "Rocky Linux release 9.3 (Blue Onyx)".
func parseRedHatRelease(name string, data []byte) (release, error) {
	line := firstLine(data)
	product, rest, ok := strings.Cut(line, " release ")
	if !ok {
		return release{}, &inventory.ParseError{Path: name, Line: 1, Err: fmt.Errorf("no \"release\" in %q", truncate(line, 80))}
	}
	r := release{PrettyName: line}
	for _, m := range redhatReleaseIDs {
		if strings.HasPrefix(product, m.prefix) {
			r.ID = m.id
			break
		}
	}
	if r.ID == "" {
		return release{}, &inventory.ParseError{Path: name, Line: 1, Err: fmt.Errorf("unknown product %q", truncate(product, 80))}
	}
	r.VersionID, _, _ = strings.Cut(rest, " ")
	return r, nil
}

func firstLine(data []byte) string {
	line, _, _ := bytes.Cut(data, []byte{'\n'})
	return strings.TrimSpace(string(line))
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	_, err := strconv.ParseUint(s, 10, 32)
	return err == nil
}

// majorMinor returns "3.19" of "3.19.1"; a version with one part is
// returned as it is.
func majorMinor(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	return parts[0] + "." + parts[1]
}

// major returns "9" of "9.3".
func major(v string) string {
	m, _, _ := strings.Cut(v, ".")
	return m
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
