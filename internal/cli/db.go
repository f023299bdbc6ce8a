package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/redline-sec/redline/internal/vulndb"
)

// addDBFlag adds --db to cmd, defaulting to $REDLINE_DB or the cache file.
func addDBFlag(cmd *cobra.Command, g *globals) {
	cmd.PersistentFlags().StringVar(&g.dbPath, "db", vulndb.DefaultPath(),
		"vulnerability database file (env REDLINE_DB)")
}

func newDBCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Build and inspect the local vulnerability database",
		Long: `The vulnerability database is one local file built from OSV records
(https://ossf.github.io/osv-schema/). Scans only read it, so they work offline.

  redline db update                          # download <Ecosystem>/all.zip from the public OSV bucket
  redline db update --ecosystem Go --ecosystem PyPI
  redline db update --source https://mirror.example/osv   # a mirror with the same layout
  redline db update --source file:///srv/osv # an air-gapped copy
  redline db import ./osv-records all.zip    # JSON files, directories of them, or zips
  redline db status                          # what is in it and how old it is

Writes are atomic: a failed or interrupted import or update leaves the
previous database as it was.`,
	}
	addDBFlag(cmd, g)
	cmd.AddCommand(newDBImportCmd(g), newDBUpdateCmd(g), newDBStatusCmd(g))
	return cmd
}

func newDBImportCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "import PATH...",
		Short: "Add OSV records from JSON files, directories or zips",
		Long: `Import reads OSV records and adds them to the database, creating it if needed.

Each PATH is a single OSV JSON file, a zip of them (such as the public bucket's
<Ecosystem>/all.zip), or a directory searched recursively for both. A record
replaces an earlier one with the same id; withdrawn records are left out.
Malformed records are skipped, counted and named; they never stop the import.`,
		Example: `  redline db import ~/osv/Go/all.zip ~/osv/PyPI/all.zip
  redline db import --db ./vuln.db ./advisories/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, paths []string) error {
			p := newProgress(g)
			start := time.Now()
			sum, err := vulndb.Import(cmd.Context(), g.dbPath, paths, vulndb.ImportOptions{
				Logger:   g.log,
				Progress: importProgress(p),
			})
			p.Done()
			if err != nil {
				return fmt.Errorf("import: %w", err)
			}
			g.printSummary(sum, time.Since(start))
			return nil
		},
	}
}

func newDBUpdateCmd(g *globals) *cobra.Command {
	var (
		source     string
		ecosystems []string
		timeout    time.Duration
	)
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Download OSV data per ecosystem (only what changed)",
		Long: `Update downloads <source>/<Ecosystem>/all.zip for each ecosystem and replaces
that ecosystem's records. Requests are conditional (ETag / Last-Modified), so an
ecosystem that has not changed since the last update is not downloaded again.

An ecosystem that fails (missing on the mirror, network error, damaged zip)
keeps its previous data and is reported; the others still update. The command
fails only when every ecosystem failed.

Default ecosystems: ` + strings.Join(vulndb.DefaultEcosystems(), ", ") + `.`,
		Example: `  redline db update
  redline db update --ecosystem Go --ecosystem crates.io
  redline db update --source file:///mnt/osv-mirror`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if timeout > 0 {
				var cancel func()
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			p := newProgress(g)
			start := time.Now()
			sum, err := vulndb.Update(ctx, g.dbPath, vulndb.UpdateOptions{
				Logger:     g.log,
				Progress:   importProgress(p),
				BaseURL:    source,
				Ecosystems: ecosystems,
			})
			p.Done()
			if sum != nil {
				g.printSummary(sum, time.Since(start))
			}
			if err != nil {
				return fmt.Errorf("update: %w", err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&source, "source", vulndb.DefaultBaseURL, "base URL holding <Ecosystem>/all.zip (http, https, file:// or a directory)")
	f.StringSliceVar(&ecosystems, "ecosystem", nil, "ecosystem to update (repeatable; default: "+strings.Join(vulndb.DefaultEcosystems(), ",")+")")
	f.DurationVar(&timeout, "timeout", 0, "give up after this long (0: no limit)")
	return cmd
}

func importProgress(p *progress) func(string, int, int) {
	return func(eco string, done, total int) {
		if eco == "" {
			eco = "records"
		}
		if total > 0 {
			p.Update("%s: %d/%d", eco, done, total)
			return
		}
		p.Update("%s: %d", eco, done)
	}
}

// printSummary prints what an import or update did, one line per ecosystem.
func (g *globals) printSummary(sum *vulndb.Summary, took time.Duration) {
	if g.quiet {
		for _, e := range sum.Ecosystems {
			if e.Err != nil {
				fmt.Fprintf(g.stderr, "redline: %s: %v (previous data kept)\n", e.Name, e.Err)
			}
		}
		return
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ECOSYSTEM\tSTORED\tWITHDRAWN\tMALFORMED\tRESULT")
	for _, e := range sum.Ecosystems {
		result := "updated from " + e.Source
		switch {
		case e.Err != nil:
			result = "FAILED, previous data kept: " + e.Err.Error()
		case e.Unchanged:
			result = "unchanged since last update"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\n", e.Name, e.Stored, e.Withdrawn, e.Malformed, result)
	}
	tw.Flush()
	if sum.Malformed > 0 {
		fmt.Fprintf(g.stderr, "redline: skipped %d malformed records:\n", sum.Malformed)
		for _, name := range sum.MalformedFiles {
			fmt.Fprintf(g.stderr, "  %s\n", name)
		}
		if extra := sum.Malformed - len(sum.MalformedFiles); extra > 0 {
			fmt.Fprintf(g.stderr, "  … and %d more\n", extra)
		}
	}
	fmt.Fprintf(g.stdout, "database %s written in %s\n", g.dbPath, took.Round(time.Millisecond))
}

func newDBStatusCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the database's ecosystems, record counts, sources and age",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			db, err := vulndb.Open(g.dbPath)
			if err != nil {
				return err
			}
			defer db.Close()
			st, err := db.Status()
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			now := time.Now()
			fmt.Fprintf(g.stdout, "database  %s\nschema    %d\nbuilt     %s (%s ago)\n\n",
				st.Path, st.SchemaVersion, st.Built.UTC().Format(time.RFC3339), humanAge(now.Sub(st.Built)))
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ECOSYSTEM\tRECORDS\tWITHDRAWN\tUPDATED\tSOURCE")
			for _, e := range st.Ecosystems {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%s ago\t%s\n", e.Name, e.Records, e.Withdrawn, humanAge(now.Sub(e.Updated)), e.Source)
			}
			tw.Flush()
			g.warnIfStale(st)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

// warnIfStale warns (never refuses) when the database is old.
func (g *globals) warnIfStale(st *vulndb.Status) {
	now := time.Now()
	if vulndb.Stale(st, now) {
		g.log.Warn(fmt.Sprintf("the vulnerability database is %s old; run 'redline db update' (or 'redline db import') for current data", humanAge(vulndb.Age(st, now))))
	}
}

func humanAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < time.Hour:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}
