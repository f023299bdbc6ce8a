package threat

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/redline-sec/redline/internal/finding"
)

// Layer is the part of the architecture a rule is about: one of the five
// defense layers (virtualization, network, gateway, application, host), or
// tenant isolation, zero trust, data handling and model completeness.
type Layer string

// The layers, in the order reports list them.
const (
	LayerVirtualization Layer = "virtualization"
	LayerNetwork        Layer = "network"
	LayerGateway        Layer = "gateway"
	LayerApplication    Layer = "application"
	LayerHost           Layer = "host"
	LayerTenant         Layer = "tenant-isolation"
	LayerZeroTrust      Layer = "zero-trust"
	LayerData           Layer = "data"
	LayerModel          Layer = "model"
)

// Layers returns every layer in report order.
func Layers() []Layer {
	return []Layer{LayerVirtualization, LayerNetwork, LayerGateway, LayerApplication, LayerHost,
		LayerTenant, LayerZeroTrust, LayerData, LayerModel}
}

// ParseLayer reads a layer name.
func ParseLayer(s string) (Layer, error) {
	for _, l := range Layers() {
		if string(l) == s {
			return l, nil
		}
	}
	return "", fmt.Errorf("unknown layer %q (want %s)", s, joinNames(Layers()))
}

// STRIDE is a threat category of the STRIDE scheme.
type STRIDE string

// The STRIDE categories.
const (
	Spoofing              STRIDE = "spoofing"
	Tampering             STRIDE = "tampering"
	Repudiation           STRIDE = "repudiation"
	InformationDisclosure STRIDE = "information-disclosure"
	DenialOfService       STRIDE = "denial-of-service"
	ElevationOfPrivilege  STRIDE = "elevation-of-privilege"
)

var strideCategories = []STRIDE{Spoofing, Tampering, Repudiation, InformationDisclosure, DenialOfService, ElevationOfPrivilege}

// Letter returns the one-letter abbreviation (S, T, R, I, D, E).
func (s STRIDE) Letter() string {
	switch s {
	case InformationDisclosure:
		return "I"
	case DenialOfService:
		return "D"
	case ElevationOfPrivilege:
		return "E"
	}
	if s == "" {
		return "?"
	}
	return strings.ToUpper(string(s[:1]))
}

// ParseSTRIDE reads a STRIDE category by name or letter.
func ParseSTRIDE(s string) (STRIDE, error) {
	for _, c := range strideCategories {
		if s == string(c) || strings.EqualFold(s, c.Letter()) {
			return c, nil
		}
	}
	return "", fmt.Errorf("unknown STRIDE category %q (want %s, or S, T, R, I, D, E)", s, joinNames(strideCategories))
}

// Likelihood is how likely a risk is to be exploited, lowest first.
type Likelihood int

// The likelihoods.
const (
	Unlikely Likelihood = iota + 1
	Likely
	VeryLikely
	Frequent
)

var likelihoodNames = [...]string{"", "unlikely", "likely", "very-likely", "frequent"}

// String returns the name of the likelihood.
func (l Likelihood) String() string {
	if l < Unlikely || l > Frequent {
		return "unknown"
	}
	return likelihoodNames[l]
}

// ParseLikelihood reads a likelihood name.
func ParseLikelihood(s string) (Likelihood, error) {
	for i := Unlikely; i <= Frequent; i++ {
		if likelihoodNames[i] == s {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown likelihood %q (want unlikely, likely, very-likely or frequent)", s)
}

// MarshalJSON writes the name.
func (l Likelihood) MarshalJSON() ([]byte, error) { return json.Marshal(l.String()) }

// Impact is how much harm a risk does when it is exploited, lowest first.
type Impact int

// The impacts.
const (
	ImpactLow Impact = iota + 1
	ImpactMedium
	ImpactHigh
	ImpactVeryHigh
)

var impactNames = [...]string{"", "low", "medium", "high", "very-high"}

// String returns the name of the impact.
func (i Impact) String() string {
	if i < ImpactLow || i > ImpactVeryHigh {
		return "unknown"
	}
	return impactNames[i]
}

// ParseImpact reads an impact name.
func ParseImpact(s string) (Impact, error) {
	for i := ImpactLow; i <= ImpactVeryHigh; i++ {
		if impactNames[i] == s {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown impact %q (want low, medium, high or very-high)", s)
}

// MarshalJSON writes the name.
func (i Impact) MarshalJSON() ([]byte, error) { return json.Marshal(i.String()) }

// severityMatrix is the risk matrix: rows are likelihoods (unlikely …
// frequent), columns impacts (low … very-high).
//
//	               low     medium  high      very-high
//	unlikely       low     low     medium    high
//	likely         low     medium  high      high
//	very-likely    medium  high    high      critical
//	frequent       medium  high    critical  critical
var severityMatrix = [4][4]finding.Severity{
	{finding.SeverityLow, finding.SeverityLow, finding.SeverityMedium, finding.SeverityHigh},
	{finding.SeverityLow, finding.SeverityMedium, finding.SeverityHigh, finding.SeverityHigh},
	{finding.SeverityMedium, finding.SeverityHigh, finding.SeverityHigh, finding.SeverityCritical},
	{finding.SeverityMedium, finding.SeverityHigh, finding.SeverityCritical, finding.SeverityCritical},
}

// SeverityOf returns the severity of a risk from the matrix of likelihood
// and impact. Out-of-range values give finding.SeverityUnknown.
func SeverityOf(l Likelihood, i Impact) finding.Severity {
	if l < Unlikely || l > Frequent || i < ImpactLow || i > ImpactVeryHigh {
		return finding.SeverityUnknown
	}
	return severityMatrix[l-1][i-1]
}

// Rule is one entry of the threat knowledge base: what architecture
// weakness it detects, why it matters and how to mitigate it, and the
// predicate over the model that finds it.
type Rule struct {
	// ID is stable across releases: RL-<LAYER>-NNN for built-in rules.
	ID    string `json:"id"`
	Title string `json:"title"`
	Layer Layer  `json:"layer"`
	// STRIDE is the threat category.
	STRIDE STRIDE `json:"stride"`
	// CWE is the number of the weakness the rule maps to.
	CWE        int        `json:"cwe"`
	Likelihood Likelihood `json:"likelihood"`
	Impact     Impact     `json:"impact"`
	// Severity is SeverityOf(Likelihood, Impact) unless a standard
	// overrides it.
	Severity finding.Severity `json:"severity"`
	// RedLine is set by a standard: a red-line finding blocks approval and
	// no exception suppresses it.
	RedLine bool `json:"red_line,omitempty"`
	// Rationale says why the weakness matters; Mitigation what to change.
	Rationale  string `json:"rationale"`
	Mitigation string `json:"mitigation"`
	// Threagile names the Threagile rule covering the same risk, if any.
	Threagile string `json:"threagile,omitempty"`
	// Custom is true for rules a standard defines in CEL.
	Custom bool `json:"custom,omitempty"`
	// Expression is the CEL condition of a custom rule, and Over the kind
	// of element it is evaluated on.
	Expression string `json:"expression,omitempty"`
	Over       string `json:"over,omitempty"`

	check checkFunc
}

// FindingRule returns the rule as the catalogue entry every analyzer
// shares (`redline checks list`).
func (r *Rule) FindingRule() finding.Rule {
	return finding.Rule{
		ID: r.ID, Kind: finding.KindDesign, Title: r.Title, Severity: r.Severity,
		Rationale: r.Rationale, Remediation: r.Mitigation,
		Mappings: r.mappings(), References: r.references(),
	}
}

// references returns the rule's reference links: its CWE entry.
func (r *Rule) references() []string {
	if r.CWE <= 0 {
		return nil
	}
	return []string{fmt.Sprintf("https://cwe.mitre.org/data/definitions/%d.html", r.CWE)}
}

func (r *Rule) mappings() map[string][]string {
	m := map[string][]string{
		"layer":  {string(r.Layer)},
		"stride": {r.STRIDE.Letter()},
	}
	if r.CWE > 0 {
		m["cwe"] = []string{fmt.Sprintf("CWE-%d", r.CWE)}
	}
	if r.Threagile != "" {
		m["threagile"] = []string{r.Threagile}
	}
	return m
}

func joinNames[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}
