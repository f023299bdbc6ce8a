package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/spf13/cobra"

	"github.com/redline-sec/redline/internal/artifact/image"
	"github.com/redline-sec/redline/internal/report"
	"github.com/redline-sec/redline/internal/sbom"
	"github.com/redline-sec/redline/internal/scan"
	"github.com/redline-sec/redline/internal/sign"
	"github.com/redline-sec/redline/internal/sign/key"
)

// airGapNote ends the help of every signing command.
const airGapNote = `
Air-gapped by design: no transparency log (Rekor), certificate authority
(Fulcio), timestamp authority or TUF root is contacted; the only network
traffic is to the registry (credentials from ~/.docker/config.json and its
credential helpers) and, for a KMS key, to the KMS. Verify with cosign using
--insecure-ignore-tlog (cosign 'verify --key ... --insecure-ignore-tlog').`

// signFlags are the flags the signing commands share.
type signFlags struct {
	key         string
	insecure    bool
	bundle      bool
	annotations []string
	output      string
}

func (f *signFlags) registerKey(cmd *cobra.Command, usage string) {
	cmd.Flags().StringVar(&f.key, "key", "", usage+" (file, pkcs11: URI or KMS reference; see 'redline key --help')")
	_ = cmd.MarkFlagRequired("key")
	cmd.Flags().BoolVar(&f.insecure, "insecure", false, "allow plain HTTP to the registry (localhost and loopback use HTTP anyway)")
}

func (f *signFlags) registerOutput(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&f.output, "output", "o", "text", "output format: text or json")
}

func (f *signFlags) registry() sign.Registry { return sign.Registry{Insecure: f.insecure} }

// annotationMap parses repeated -a key=value flags.
func (f *signFlags) annotationMap() (map[string]string, error) {
	if len(f.annotations) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(f.annotations))
	for _, a := range f.annotations {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("-a %q: want key=value", a)
		}
		m[k] = v
	}
	return m, nil
}

func (f *signFlags) checkOutput() error {
	if f.output != "text" && f.output != "json" {
		return fmt.Errorf("--output %q: want text or json", f.output)
	}
	return nil
}

// imageRef drops the optional "registry:" prefix: only registry images
// carry signatures.
func imageRef(arg string) string { return strings.TrimPrefix(arg, "registry:") }

// loadSigner loads --key for signing; the caller calls the returned close.
func (g *globals) loadSigner(ctx context.Context, ref string) (signature.SignerVerifier, func(), error) {
	s, err := key.LoadSigner(ctx, ref, key.EnvOrPromptOn(g.stdin, g.stderr))
	if err != nil {
		return nil, nil, fmt.Errorf("load key: %w", err) // ref may hold a PIN: not printed
	}
	closeFn := func() {}
	if c, ok := s.(io.Closer); ok {
		closeFn = func() { _ = c.Close() }
	}
	return s, closeFn, nil
}

// loadVerifier loads --key for verification.
func loadVerifier(ctx context.Context, ref string) (signature.Verifier, func(), error) {
	v, err := key.LoadVerifier(ctx, ref)
	if err != nil {
		return nil, nil, fmt.Errorf("load key: %w", err) // ref may hold a PIN: not printed
	}
	closeFn := func() {}
	if c, ok := v.(io.Closer); ok {
		closeFn = func() { _ = c.Close() }
	}
	return v, closeFn, nil
}

// verifyExit maps a verification error to the exit codes: 1 for "not
// verified", 2 for anything else.
func verifyExit(err error) error {
	if errors.Is(err, sign.ErrNotVerified) {
		return &exitError{code: ExitBlocked, err: err}
	}
	return err
}

func newSignCmd(g *globals) *cobra.Command {
	var f signFlags
	cmd := &cobra.Command{
		Use:   "sign IMAGE --key REF",
		Short: "Sign a container image by digest, in cosign's format",
		Long: `Sign resolves IMAGE to its manifest digest and signs that digest, never the
tag, then stores the signature in the image's repository:

  default    cosign's classic format: a simple-signing payload under the tag
             sha256-<hex>.sig (appended to the signatures already there; an
             identical signature by the same key is not added twice). cosign
             v2 and v3, Kyverno and Sigstore policy-controller verify it.
  --bundle   an OCI 1.1 referrer (subject = the image) holding a sigstore
             bundle v0.3 with a DSSE-signed in-toto statement (cosign v3's
             default). On a registry without the referrers API the referrers
             fallback tag sha256-<hex> is kept up to date as well.

-a key=value annotations are signed with the image; 'redline verify -a' and
'cosign verify -a' can require them. Re-sign after pushing a new image to the
same tag: the signature belongs to the digest.
` + airGapNote,
		Example: `  redline sign ghcr.io/org/app:1.2 --key cosign.key
  redline sign ghcr.io/org/app@sha256:… --key cosign.key -a env=prod -a git=$GIT_SHA
  redline sign localhost:5000/app:dev --key 'pkcs11:token=ci;object=signer' --bundle
  COSIGN_PASSWORD= redline sign registry.local:5000/app:1 --key cosign.key --insecure`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ann, err := f.annotationMap()
			if err != nil {
				return usageErr(err)
			}
			s, done, err := g.loadSigner(cmd.Context(), f.key)
			if err != nil {
				return err
			}
			defer done()
			res, err := sign.Sign(cmd.Context(), imageRef(args[0]), s, sign.SignOptions{Registry: f.registry(), Bundle: f.bundle, Annotations: ann})
			if err != nil {
				return err
			}
			printSigned(g.stdout, "Signed", res)
			return nil
		},
	}
	f.registerKey(cmd, "private key to sign with")
	cmd.Flags().BoolVar(&f.bundle, "bundle", false, "write a sigstore bundle as an OCI 1.1 referrer (cosign v3 format) instead of the .sig tag")
	cmd.Flags().StringArrayVarP(&f.annotations, "annotation", "a", nil, "key=value annotation to sign with the image (repeatable)")
	return cmd
}

func printSigned(w io.Writer, verb string, res *sign.SignResult) {
	if res.Unchanged {
		fmt.Fprintf(w, "%s %s@%s already: identical signature by this key in %s\n", verb, res.Repository, res.Digest, res.Location)
		return
	}
	fmt.Fprintf(w, "%s %s@%s (%s format) -> %s\n", verb, res.Repository, res.Digest, res.Format, res.Location)
}

func newVerifyCmd(g *globals) *cobra.Command {
	var f signFlags
	cmd := &cobra.Command{
		Use:   "verify IMAGE --key REF",
		Short: "Verify an image's signatures (cosign's classic and bundle formats)",
		Long: `Verify resolves IMAGE to the digest it names now and accepts it when a
signature by --key signs exactly that digest. Both formats are checked: the
classic sha256-<hex>.sig tag and sigstore bundle referrers (found with the
referrers API or the fallback tag). A bundle counts as a signature when its
statement's predicate type is https://sigstore.dev/cosign/sign/v1
(attestations are checked by 'redline verify-attestation').

Rejected, with the reason: a signature by another key, a tampered payload or
signature, a payload that signs another digest (for example a tag moved to a
new image after signing, or a signature copied from another image), missing
-a annotations. Limits: at most 100 layers in a .sig manifest and 100
referrers (more is an error), 1 MiB per signature payload or bundle (a bigger
one is rejected).

Exit codes: 0 verified, 1 not verified, 2 error (registry unreachable, image
missing, bad key or flags).
` + airGapNote,
		Example: `  redline verify ghcr.io/org/app:1.2 --key cosign.pub
  redline verify ghcr.io/org/app@sha256:… --key cosign.pub -a env=prod -o json
  redline verify localhost:5000/app:dev --key awskms:///alias/signer`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ann, err := f.annotationMap()
			if err != nil {
				return usageErr(err)
			}
			if err := f.checkOutput(); err != nil {
				return usageErr(err)
			}
			v, done, err := loadVerifier(cmd.Context(), f.key)
			if err != nil {
				return err
			}
			defer done()
			res, err := sign.Verify(cmd.Context(), imageRef(args[0]), v, sign.VerifyOptions{Registry: f.registry(), Annotations: ann})
			if res != nil {
				if perr := printVerify(g.stdout, f.output, res, err == nil); perr != nil {
					return perr
				}
			}
			return verifyExit(err)
		},
	}
	f.registerKey(cmd, "public key to verify with")
	f.registerOutput(cmd)
	cmd.Flags().StringArrayVarP(&f.annotations, "annotation", "a", nil, "key=value annotation an accepted signature must carry (repeatable)")
	return cmd
}

func printVerify(w io.Writer, format string, res *sign.Result, ok bool) error {
	if format == "json" {
		return writeJSON(w, struct {
			Verified bool `json:"verified"`
			*sign.Result
		}{ok, res})
	}
	if !ok {
		return nil // the error says why
	}
	fmt.Fprintf(w, "Verified %s: %s\n", res.Reference, res.Digest)
	for _, s := range res.Signatures {
		fmt.Fprintf(w, "  %-6s %s%s\n", s.Format, s.Location, annotationText(s.Annotations))
	}
	for _, r := range res.Rejected {
		fmt.Fprintf(w, "  rejected %s %s: %s\n", r.Format, r.Location, r.Reason)
	}
	fmt.Fprintln(w, "Checked: the signature is by the given key and signs the digest the reference resolves to now (no transparency log).")
	return nil
}

func annotationText(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return "  [" + strings.Join(parts, " ") + "]"
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newAttestCmd(g *globals) *cobra.Command {
	var (
		f         signFlags
		predicate string
		typ       string
	)
	cmd := &cobra.Command{
		Use:   "attest IMAGE --key REF --predicate FILE --type TYPE",
		Short: "Attach a signed in-toto attestation to an image, in cosign's format",
		Long: `Attest resolves IMAGE to its digest, wraps the JSON in --predicate in an
in-toto Statement (subject: the repository and digest) and signs it in a DSSE
envelope. It is stored as cosign stores attestations: a layer appended to
the sha256-<hex>.att tag, or with --bundle a sigstore bundle referrer.

--type is a predicate type URI or one of cosign's short names:
  vuln            https://cosign.sigstore.dev/attestation/vuln/v1
  cyclonedx       https://cyclonedx.org/bom
  spdx, spdxjson  https://spdx.dev/Document
  slsaprovenance  https://slsa.dev/provenance/v0.2  (slsaprovenance1: /v1)
  openvex         https://openvex.dev/ns
  link, custom    in-toto link, cosign's generic type
The predicate may be at most 8 MiB; its object keys are written sorted, as
cosign writes them.
` + airGapNote,
		Example: `  redline sbom ghcr.io/org/app:1.2 -f cyclonedx -o sbom.cdx.json
  redline attest ghcr.io/org/app:1.2 --key cosign.key --type cyclonedx --predicate sbom.cdx.json
  redline attest ghcr.io/org/app:1.2 --key cosign.key --type openvex --predicate app.vex.json --bundle`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pt, err := sign.PredicateType(typ)
			if err != nil {
				return usageErr(err)
			}
			pred, err := readLimited(predicate, sign.MaxAttestationSize/2)
			if err != nil {
				return usageErr(err)
			}
			s, done, err := g.loadSigner(cmd.Context(), f.key)
			if err != nil {
				return err
			}
			defer done()
			res, err := sign.Attest(cmd.Context(), imageRef(args[0]), pred, s, sign.AttestOptions{Registry: f.registry(), PredicateType: pt, Bundle: f.bundle})
			if err != nil {
				return err
			}
			printSigned(g.stdout, "Attested", res)
			return nil
		},
	}
	f.registerKey(cmd, "private key to sign with")
	cmd.Flags().StringVar(&predicate, "predicate", "", "JSON file holding the predicate")
	cmd.Flags().StringVar(&typ, "type", "custom", "predicate type: "+strings.Join(sign.PredicateTypes(), ", ")+", or a URI")
	cmd.Flags().BoolVar(&f.bundle, "bundle", false, "write a sigstore bundle as an OCI 1.1 referrer (cosign v3 format) instead of the .att tag")
	_ = cmd.MarkFlagRequired("predicate")
	return cmd
}

func newVerifyAttestationCmd(g *globals) *cobra.Command {
	var (
		f      signFlags
		typ    string
		policy string
	)
	cmd := &cobra.Command{
		Use:   "verify-attestation IMAGE --key REF --type TYPE [--policy CEL]",
		Short: "Verify an image's attestations and evaluate a CEL policy over them",
		Long: `Verify-attestation resolves IMAGE to the digest it names now and accepts an
attestation (classic .att tag or bundle referrer) when its DSSE signature is
by --key, its statement names that digest and has the --type predicate type,
and --policy (a CEL expression) is true for it. The expression sees:

  statement      the in-toto statement (a map)
  predicate      statement.predicate
  predicateType  the predicate type URI
  now            the current time (a timestamp)

A policy that does not compile fails at once, before any network access; a
policy that refers to a missing field rejects that attestation.

Exit codes: 0 verified, 1 not verified, 2 error.
` + airGapNote,
		Example: `  redline verify-attestation ghcr.io/org/app:1.2 --key cosign.pub --type cyclonedx
  # a vulnerability scan younger than 7 days with no critical finding (Redline's vuln attestation):
  redline verify-attestation ghcr.io/org/app:1.2 --key cosign.pub --type vuln --policy \
    'timestamp(predicate.metadata.scanFinishedOn) > now - duration("168h") &&
     predicate.scanner.result.summary.by_severity.critical == 0'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pt, err := sign.PredicateType(typ)
			if err != nil {
				return usageErr(err)
			}
			if err := f.checkOutput(); err != nil {
				return usageErr(err)
			}
			opts := sign.AttestationOptions{Registry: f.registry(), PredicateType: pt}
			if policy != "" {
				if opts.Policy, err = sign.CompilePolicy(policy); err != nil {
					return usageErr(err)
				}
			}
			v, done, err := loadVerifier(cmd.Context(), f.key)
			if err != nil {
				return err
			}
			defer done()
			res, err := sign.VerifyAttestation(cmd.Context(), imageRef(args[0]), v, opts)
			if res != nil {
				if perr := printAttestations(g.stdout, f.output, res, err == nil); perr != nil {
					return perr
				}
			}
			return verifyExit(err)
		},
	}
	f.registerKey(cmd, "public key to verify with")
	f.registerOutput(cmd)
	cmd.Flags().StringVar(&typ, "type", "custom", "predicate type: "+strings.Join(sign.PredicateTypes(), ", ")+", or a URI")
	cmd.Flags().StringVar(&policy, "policy", "", "CEL expression an accepted attestation must satisfy")
	return cmd
}

func printAttestations(w io.Writer, format string, res *sign.AttestationResult, ok bool) error {
	if format == "json" {
		return writeJSON(w, struct {
			Verified bool `json:"verified"`
			*sign.AttestationResult
		}{ok, res})
	}
	if !ok {
		return nil
	}
	fmt.Fprintf(w, "Verified %s: %s, %d attestation(s) of type %s\n", res.Reference, res.Digest, len(res.Attestations), res.PredicateType)
	for _, a := range res.Attestations {
		fmt.Fprintf(w, "  %-6s %s\n", a.Format, a.Location)
	}
	for _, r := range res.Rejected {
		fmt.Fprintf(w, "  rejected %s %s: %s\n", r.Format, r.Location, r.Reason)
	}
	return nil
}

// readLimited reads a file of at most limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	if path == "" {
		return nil, errors.New("no file given")
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is more than %d bytes", path, limit)
	}
	return b, nil
}

// pipelineSignFlags are the signing flags of 'scan image'.
type pipelineSignFlags struct {
	sign, attest, bundle bool
	key                  string
}

func (f *pipelineSignFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.sign, "sign", false, "when the gate passes, sign the scanned digest (registry images; needs --key)")
	fl.BoolVar(&f.attest, "attest", false, "when the gate passes, attach a vulnerability attestation (this report) and a CycloneDX SBOM attestation (needs --key)")
	fl.StringVar(&f.key, "key", "", "private key for --sign/--attest (file, pkcs11: URI or KMS reference)")
	fl.BoolVar(&f.bundle, "sign-bundle", false, "with --sign/--attest: write sigstore bundle referrers (cosign v3 format) instead of .sig/.att tags")
}

// prepare checks the flags and loads the key before the scan, and sets
// sf.onPass to sign and attest once the gate has passed. The caller calls
// the returned func when done.
func (f *pipelineSignFlags) prepare(ctx context.Context, g *globals, md image.Metadata, insecure bool, sf *scanFlags) (func(), error) {
	if !f.sign && !f.attest {
		if f.key != "" || f.bundle {
			return nil, usageErr(errors.New("--key and --sign-bundle need --sign or --attest"))
		}
		return func() {}, nil
	}
	if f.key == "" {
		return nil, usageErr(errors.New("--sign and --attest need --key"))
	}
	if md.Kind != image.KindRegistry || md.ManifestDigest == "" {
		return nil, usageErr(fmt.Errorf("--sign and --attest need a registry image, not %s", md.Kind))
	}
	var nopts []name.Option
	if insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(md.Reference, nopts...)
	if err != nil {
		return nil, usageErr(err)
	}
	ref := r.Context().Name() + "@" + md.ManifestDigest
	s, done, err := g.loadSigner(ctx, f.key)
	if err != nil {
		return nil, err
	}
	started := time.Now().UTC()
	reg := sign.Registry{Insecure: insecure}
	sf.onPass = func(ctx context.Context, rep *report.Report, inv *scan.Inventory) error {
		if f.sign {
			res, err := sign.Sign(ctx, ref, s, sign.SignOptions{Registry: reg, Bundle: f.bundle})
			if err != nil {
				return err
			}
			printSigned(g.stderr, "Signed", res)
		}
		if !f.attest {
			return nil
		}
		vuln, err := vulnPredicate(rep, started, time.Now().UTC())
		if err != nil {
			return err
		}
		cdx, err := cycloneDXPredicate(rep, inv, md.Created)
		if err != nil {
			return err
		}
		for _, a := range []struct {
			typ  string
			pred []byte
		}{{"vuln", vuln}, {"cyclonedx", cdx}} {
			pt, _ := sign.PredicateType(a.typ)
			res, err := sign.Attest(ctx, ref, a.pred, s, sign.AttestOptions{Registry: reg, PredicateType: pt, Bundle: f.bundle})
			if err != nil {
				return fmt.Errorf("attest %s: %w", a.typ, err)
			}
			printSigned(g.stderr, "Attested ("+a.typ+")", res)
		}
		return nil
	}
	return done, nil
}

// vulnPredicate is cosign's vuln predicate around Redline's JSON report.
func vulnPredicate(rep *report.Report, started, finished time.Time) ([]byte, error) {
	var buf bytes.Buffer
	if err := report.Write(&buf, report.FormatJSON, rep); err != nil {
		return nil, err
	}
	p := sign.VulnPredicate{
		Invocation: sign.VulnInvocation{Parameters: []string{}},
		Scanner: sign.VulnScanner{
			URI:     "pkg:golang/github.com/redline-sec/redline@" + rep.Tool.Version,
			Version: rep.Tool.Version,
			Result:  buf.Bytes(),
		},
		Metadata: sign.VulnMetadata{ScanStartedOn: started, ScanFinishedOn: finished},
	}
	if rep.Database != nil && !rep.Database.Built.IsZero() {
		p.Scanner.DB = sign.VulnDB{URI: "redline-osv-db", Version: rep.Database.Built.UTC().Format(time.RFC3339)}
	}
	return json.Marshal(p)
}

// cycloneDXPredicate is the CycloneDX SBOM of the scanned image.
func cycloneDXPredicate(rep *report.Report, inv *scan.Inventory, created time.Time) ([]byte, error) {
	if created.IsZero() {
		created = time.Now().UTC().Truncate(time.Second)
	}
	doc := &sbom.Document{
		Tool:     sbom.Tool{Name: "redline", Version: rep.Tool.Version},
		Target:   inv.Target,
		Packages: inv.Packages,
		Created:  created,
	}
	if inv.Distro != nil {
		doc.OS = &sbom.OS{Name: inv.Distro.ID, Version: inv.Distro.VersionID}
	}
	var buf bytes.Buffer
	if err := sbom.WriteCycloneDX(&buf, doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
