// Command summarize reads govulncheck's `-format json` stream on standard
// input and writes the expected-findings file the end-to-end test compares
// against: the sorted OSV ids of the "finding" messages, and each finding's
// module and version.
//
// Usage: govulncheck ... -format json | go run ./testdata/govuln/summarize -goos linux -goarch amd64 > FILE
//
// It lives under testdata so that ./... does not build it.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
)

// message is the subset of govulncheck's JSON protocol (v1.0.0) used here.
type message struct {
	Config *struct {
		ScannerName    string `json:"scanner_name"`
		ScannerVersion string `json:"scanner_version"`
		ScanMode       string `json:"scan_mode"`
		ScanLevel      string `json:"scan_level"`
	} `json:"config"`
	SBOM *struct {
		GoVersion string `json:"go_version"`
	} `json:"SBOM"`
	Finding *struct {
		OSV   string `json:"osv"`
		Trace []struct {
			Module  string `json:"module"`
			Version string `json:"version"`
		} `json:"trace"`
	} `json:"finding"`
}

type finding struct {
	OSV     string `json:"osv"`
	Module  string `json:"module"`
	Version string `json:"version"`
}

type summary struct {
	Scanner   string    `json:"scanner"`
	ScanMode  string    `json:"scan_mode"`
	ScanLevel string    `json:"scan_level"`
	GoVersion string    `json:"go_version"`
	GOOS      string    `json:"goos"`
	GOARCH    string    `json:"goarch"`
	IDs       []string  `json:"ids"`
	Findings  []finding `json:"findings"`
}

func main() {
	goos := flag.String("goos", "", "GOOS the scan was for (recorded only)")
	goarch := flag.String("goarch", "", "GOARCH the scan was for (recorded only)")
	flag.Parse()
	s, err := summarize(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "summarize:", err)
		os.Exit(1)
	}
	s.GOOS, s.GOARCH = *goos, *goarch
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		fmt.Fprintln(os.Stderr, "summarize:", err)
		os.Exit(1)
	}
	os.Stdout.Write(append(b, '\n'))
}

func summarize(r io.Reader) (*summary, error) {
	s := &summary{IDs: []string{}, Findings: []finding{}}
	seen := map[finding]bool{}
	ids := map[string]bool{}
	dec := json.NewDecoder(r)
	for {
		var m message
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("decode govulncheck output: %w", err)
		}
		switch {
		case m.Config != nil:
			s.Scanner = m.Config.ScannerName + " " + m.Config.ScannerVersion
			s.ScanMode, s.ScanLevel = m.Config.ScanMode, m.Config.ScanLevel
		case m.SBOM != nil:
			s.GoVersion = m.SBOM.GoVersion
		case m.Finding != nil:
			f := finding{OSV: m.Finding.OSV}
			if len(m.Finding.Trace) > 0 {
				f.Module, f.Version = m.Finding.Trace[0].Module, m.Finding.Trace[0].Version
			}
			if !seen[f] {
				seen[f] = true
				s.Findings = append(s.Findings, f)
			}
			if !ids[f.OSV] {
				ids[f.OSV] = true
				s.IDs = append(s.IDs, f.OSV)
			}
		}
	}
	if s.Scanner == "" {
		return nil, errors.New("no config message: is this govulncheck -format json output?")
	}
	sort.Strings(s.IDs)
	sort.Slice(s.Findings, func(i, j int) bool {
		a, b := s.Findings[i], s.Findings[j]
		if a.OSV != b.OSV {
			return a.OSV < b.OSV
		}
		if a.Module != b.Module {
			return a.Module < b.Module
		}
		return a.Version < b.Version
	})
	return s, nil
}
