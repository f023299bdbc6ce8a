package threagile

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/redline-sec/redline/internal/design/model"
)

// Options control an import.
type Options struct {
	// Standard is the metadata.standard of the new model (name@version).
	Standard string
	// ExceptionExpiry is the expiry of the exceptions made from tracked
	// risks. Threagile's risk tracking has no expiry, and Redline's
	// exceptions must have one, so it is required when the model tracks
	// accepted, in-progress or false-positive risks.
	ExceptionExpiry time.Time
	// Release of the new model; default the Threagile model's date, else
	// "imported".
	Release string
	// Owner of the new model; default the Threagile author, else
	// "unknown".
	Owner string
	// Rules maps a Threagile risk category (missing-waf) to the Redline
	// rules covering it (RL-APP-001). A tracked risk of a category without
	// a mapping cannot become an exception and is reported.
	Rules  map[string][]string
	Limits Limits
}

// Result is an imported model and what the reader should know about it.
type Result struct {
	Model *model.Model
	// Notes say what was assumed or could not be carried over, sorted.
	Notes []string
	// Tentative holds the exceptions (rule, element) that may match no
	// risk: expanded from a wildcard in a risk-tracking entry, or made for
	// each of several Redline rules covering one Threagile rule. The caller
	// may run the rules and drop those that match nothing (Prune).
	Tentative map[[2]string]bool
}

// Import reads the Threagile model name (and its includes) from fsys and
// maps it onto a Redline model, which it validates.
func Import(ctx context.Context, fsys fs.FS, name string, opts Options) (*Result, error) {
	f, err := read(ctx, fsys, name, opts.Limits)
	if err != nil {
		return nil, err
	}
	c := &converter{
		in: f, opts: opts, name: path.Base(name),
		ids:      make(map[string]string),
		dataIDs:  make(map[string]string),
		assetIDs: make(map[string]string),
		linkIDs:  make(map[string]string),
		res:      &Result{Tentative: make(map[[2]string]bool)},
	}
	m, err := c.convert()
	if err != nil {
		return nil, err
	}
	if err := model.Validate(m); err != nil {
		return nil, fmt.Errorf("the imported model is not valid (please report this):\n%w", err)
	}
	c.res.Model = m
	slices.Sort(c.res.Notes)
	c.res.Notes = slices.Compact(c.res.Notes)
	return c.res, nil
}

type converter struct {
	in   *file
	opts Options
	name string

	ids      map[string]string // Redline id -> element kind, across kinds
	dataIDs  map[string]string // Threagile data asset id -> Redline id
	assetIDs map[string]string // Threagile technical asset id -> Redline id
	linkIDs  map[string]string // Threagile link id (source>link) -> Redline id
	res      *Result
}

func (c *converter) note(format string, args ...any) {
	c.res.Notes = append(c.res.Notes, fmt.Sprintf(format, args...))
}

var notSlug = regexp.MustCompile(`[^a-z0-9._-]+`)

// slug turns a Threagile id or title into a Redline id.
func slug(raw string) string {
	id := strings.Trim(notSlug.ReplaceAllString(strings.ToLower(raw), "-"), "-._")
	if len(id) > 100 {
		id = strings.Trim(id[:100], "-._")
	}
	return id
}

// newID returns a Redline id for a Threagile id or title, unique across
// element kinds (Threagile's ids are unique per kind only): a clash gets
// the kind as suffix, then a number.
func (c *converter) newID(raw, kind string) string {
	base := slug(raw)
	if base == "" || base == model.ModelElement {
		base = strings.Trim(base+"-"+kind, "-")
	}
	id := base
	for i := 1; c.ids[id] != ""; i++ {
		if i == 1 {
			id = base + "-" + kind
		} else {
			id = fmt.Sprintf("%s-%s-%d", base, kind, i)
		}
	}
	c.ids[id] = kind
	return id
}

// sortedKeys returns a map's keys sorted, so the output is deterministic.
func sortedKeys[T any](m map[string]T) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkIDs refuses ids used twice within one kind, as Threagile does.
func (c *converter) checkIDs() error {
	kinds := []struct {
		what   string
		titles []string
		id     func(title string) string
	}{
		{"data asset", sortedKeys(c.in.DataAssets), func(t string) string { return firstOf(c.in.DataAssets[t].ID, t) }},
		{"technical asset", sortedKeys(c.in.TechnicalAssets), func(t string) string { return firstOf(c.in.TechnicalAssets[t].ID, t) }},
		{"trust boundary", sortedKeys(c.in.TrustBoundaries), func(t string) string { return firstOf(c.in.TrustBoundaries[t].ID, t) }},
		{"shared runtime", sortedKeys(c.in.SharedRuntimes), func(t string) string { return firstOf(c.in.SharedRuntimes[t].ID, t) }},
	}
	for _, k := range kinds {
		seen := make(map[string]string, len(k.titles))
		for _, t := range k.titles {
			id := k.id(t)
			if first, dup := seen[id]; dup {
				return fmt.Errorf("%s id %q is used by both %q and %q", k.what, id, first, t)
			}
			seen[id] = t
		}
	}
	return nil
}

func (c *converter) convert() (*model.Model, error) {
	in := c.in
	if err := c.checkIDs(); err != nil {
		return nil, err
	}
	m := &model.Model{APIVersion: model.APIVersion, Kind: model.KindModel}
	title := strings.TrimSpace(in.Title)
	if title == "" {
		title = strings.TrimSuffix(c.name, path.Ext(c.name))
	}
	m.Metadata = model.Metadata{
		Product:     firstOf(slug(title), "imported"),
		Name:        title,
		Release:     firstOf(c.opts.Release, in.Date, "imported"),
		Description: strings.TrimSpace(in.BusinessOverview.Description),
		Owner:       firstOf(c.opts.Owner, in.Author.Name, "unknown"),
		Standard:    c.opts.Standard,
		Labels:      map[string]string{"imported-from": "threagile"},
	}
	if in.ThreagileVersion != "" {
		m.Metadata.Labels["threagile-version"] = in.ThreagileVersion
	}
	if v, ok := criticality(in.BusinessCriticality); ok {
		m.Metadata.BusinessCriticality = v
	} else if in.BusinessCriticality != "" {
		c.note("business_criticality %q is not a Threagile value; left out", in.BusinessCriticality)
	}
	if n := len(in.Questions) + len(in.AbuseCases) + len(in.SecurityRequirements); n > 0 {
		c.note("%d questions, abuse cases and security requirements are not part of the model; carry them into the review checklist", n)
	}
	if in.IndividualRiskCategories.Kind != 0 || in.CustomRiskCategories.Kind != 0 {
		c.note("custom risk categories (individual_risk_categories / custom_risk_categories) are not imported: write them as CEL rules of your standard")
	}

	m.Data = c.dataAssets()
	zones, zoneOf := c.zones()
	m.Zones = zones
	runtimes, runtimeOf := c.runtimes()
	m.Runtimes = runtimes
	m.Components = c.components(zoneOf, runtimeOf)
	m.Interfaces = c.interfaces(m)
	for i := range m.Components {
		if m.Components[i].Tenancy == model.Shared {
			m.Tenancy.Model = model.MultiTenant
		}
	}
	if m.Tenancy.Model == "" {
		m.Tenancy.Model = model.SingleTenant
	} else {
		c.note("multi_tenant assets make the model multi-tenant; declare tenancy.isolation and tenantIdSource")
	}
	exc, err := c.exceptions(m)
	if err != nil {
		return nil, err
	}
	m.Exceptions = exc
	return m, nil
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if s := strings.TrimSpace(v); s != "" {
			return s
		}
	}
	return ""
}

// confidentiality maps Threagile's five confidentiality levels onto
// Redline's by rank. Threagile orders restricted below confidential, so its
// restricted becomes Redline's confidential and its confidential Redline's
// restricted.
var confidentiality = map[string]model.Classification{
	"public":                model.Public,
	"internal":              model.Internal,
	"restricted":            model.Confidential,
	"confidential":          model.Restricted,
	"strictly-confidential": model.Secret,
}

func criticality(s string) (model.Criticality, bool) {
	v := model.Criticality(s)
	return v, v.Rank() > 0
}

func (c *converter) dataAssets() []model.DataAsset {
	var out []model.DataAsset
	for _, title := range sortedKeys(c.in.DataAssets) {
		d := c.in.DataAssets[title]
		id := c.newID(firstOf(d.ID, title), "data")
		c.dataIDs[firstOf(d.ID, title)] = id
		cl, ok := confidentiality[d.Confidentiality]
		if !ok {
			c.note("data asset %s: confidentiality %q is not a Threagile level; imported as confidential", id, d.Confidentiality)
			cl = model.Confidential
		}
		desc := strings.TrimSpace(d.Description)
		if d.Confidentiality != string(cl) && ok {
			desc = strings.TrimSpace(desc + fmt.Sprintf(" (Threagile confidentiality: %s)", d.Confidentiality))
		}
		a := model.DataAsset{ID: id, Name: title, Description: desc, Classification: cl, Owner: d.Owner}
		if v, ok := criticality(d.Integrity); ok {
			a.Integrity = v
		}
		if v, ok := criticality(d.Availability); ok {
			a.Availability = v
		}
		for _, t := range d.Tags {
			if cat := model.DataCategory(strings.ToLower(t)); slices.Contains([]model.DataCategory{
				model.CategoryPII, model.CategoryPCI, model.CategoryPHI, model.CategoryCredentials, model.CategoryKeys,
			}, cat) {
				a.Categories = append(a.Categories, cat)
			}
		}
		out = append(out, a)
	}
	return out
}

// zones maps network trust boundaries to zones (nesting to parent) and adds
// an internet zone and a zone for assets outside every network boundary.
// It returns the zones and the zone of each Threagile asset id.
func (c *converter) zones() ([]model.Zone, map[string]string) {
	in := c.in
	var out []model.Zone
	zoneOf := make(map[string]string)
	boundaryID := make(map[string]string) // Threagile boundary id -> zone id
	parentOf := make(map[string]string)   // Threagile boundary id -> Threagile parent boundary id
	for _, title := range sortedKeys(in.TrustBoundaries) {
		b := in.TrustBoundaries[title]
		for _, n := range b.TrustBoundariesNested {
			parentOf[n] = firstOf(b.ID, title)
		}
	}
	isNetwork := func(t string) bool { return strings.HasPrefix(t, "network-") }
	byID := make(map[string]trustBoundary)
	for _, title := range sortedKeys(in.TrustBoundaries) {
		b := in.TrustBoundaries[title]
		byID[firstOf(b.ID, title)] = b
	}
	for _, title := range sortedKeys(in.TrustBoundaries) {
		b := in.TrustBoundaries[title]
		tid := firstOf(b.ID, title)
		if !isNetwork(b.Type) {
			if b.Type != "execution-environment" {
				c.note("trust boundary %s: type %q is not a Threagile boundary type; not imported", tid, b.Type)
			}
			continue
		}
		kind := model.ZoneInternal
		if strings.Contains(strings.ToLower(tid+" "+title), "dmz") {
			kind = model.ZoneDMZ
		}
		id := c.newID(tid, "zone")
		boundaryID[tid] = id
		out = append(out, model.Zone{ID: id, Name: title, Kind: kind})
	}
	// Parents: the nearest enclosing network boundary.
	for i := range out {
		var tid string
		for k, v := range boundaryID {
			if v == out[i].ID {
				tid = k
			}
		}
		seen := map[string]bool{tid: true}
		for p := parentOf[tid]; p != "" && !seen[p]; p = parentOf[p] {
			seen[p] = true
			if z, ok := boundaryID[p]; ok && isNetwork(byID[p].Type) {
				out[i].Parent = z
				break
			}
		}
	}
	// An asset's zone is the innermost network boundary holding it: the
	// one with the longest chain of parents.
	depth := func(tid string) int {
		d := 0
		seen := map[string]bool{}
		for p := parentOf[tid]; p != "" && !seen[p]; p = parentOf[p] {
			seen[p] = true
			d++
		}
		return d
	}
	best := make(map[string]int)
	for _, title := range sortedKeys(in.TrustBoundaries) {
		b := in.TrustBoundaries[title]
		tid := firstOf(b.ID, title)
		z, ok := boundaryID[tid]
		if !ok {
			continue
		}
		for _, a := range b.TechnicalAssetsInside {
			if d, seen := best[a]; !seen || depth(tid) > d {
				best[a] = depth(tid)
				zoneOf[a] = z
			}
		}
	}
	needInternet, needOutside := false, false
	for _, title := range sortedKeys(in.TechnicalAssets) {
		a := in.TechnicalAssets[title]
		aid := firstOf(a.ID, title)
		switch {
		case a.Internet:
			if _, inside := zoneOf[aid]; inside {
				c.note("technical asset %s: internet is true but it sits in a network trust boundary; placed in the internet zone", aid)
			}
			needInternet = true
		case zoneOf[aid] == "":
			needOutside = true
		}
	}
	if needInternet {
		id := c.newID("internet", "zone")
		out = append(out, model.Zone{ID: id, Name: "Internet", Kind: model.ZoneInternet})
		for _, title := range sortedKeys(in.TechnicalAssets) {
			if a := in.TechnicalAssets[title]; a.Internet {
				zoneOf[firstOf(a.ID, title)] = id
			}
		}
	}
	if needOutside {
		id := c.newID("outside-boundaries", "zone")
		out = append(out, model.Zone{ID: id, Name: "Assets outside every Threagile network boundary", Kind: model.ZoneInternal})
		for _, title := range sortedKeys(in.TechnicalAssets) {
			a := in.TechnicalAssets[title]
			if aid := firstOf(a.ID, title); zoneOf[aid] == "" {
				zoneOf[aid] = id
			}
		}
		c.note("assets outside every network trust boundary are in zone %s (kind internal); move them to the right zone", id)
	}
	if len(out) > 0 {
		c.note("Threagile does not rank trust boundaries: imported zones are kind internal (dmz when the name says so); set kind, defaultDenyIngress and egress")
	}
	return out, zoneOf
}

// runtimes maps shared runtimes; the kind follows the machine type of the
// assets on it.
func (c *converter) runtimes() ([]model.Runtime, map[string]string) {
	in := c.in
	var out []model.Runtime
	runtimeOf := make(map[string]string)
	machineOf := make(map[string]string)
	cloudOf := make(map[string]string)
	for _, title := range sortedKeys(in.TechnicalAssets) {
		a := in.TechnicalAssets[title]
		machineOf[firstOf(a.ID, title)] = a.Machine
		cloudOf[firstOf(a.ID, title)] = cloudTag(a.Tags)
	}
	for _, title := range sortedKeys(in.SharedRuntimes) {
		r := in.SharedRuntimes[title]
		id := c.newID(firstOf(r.ID, title), "runtime")
		counts := make(map[string]int)
		clouds := make(map[string]int)
		if c := cloudTag(r.Tags); c != "" {
			clouds[c] += len(r.TechnicalAssetsRunning) + 1
		}
		for _, a := range r.TechnicalAssetsRunning {
			counts[machineOf[a]]++
			if c := cloudOf[a]; c != "" {
				clouds[c]++
			}
			if prev, dup := runtimeOf[a]; dup {
				c.note("technical asset %s runs on shared runtimes %s and %s; kept on %s", a, prev, id, prev)
				continue
			}
			runtimeOf[a] = id
		}
		kind := model.RuntimeVM
		switch top := topCount(counts); top {
		case "container":
			kind = model.RuntimeContainerHost
		case "physical":
			kind = model.RuntimeBareMetal
		case "serverless":
			kind = model.RuntimeServerless
		}
		out = append(out, model.Runtime{ID: id, Name: title, Kind: kind, Sharing: model.Shared, Provider: topCount(clouds)})
	}
	if len(out) > 0 {
		c.note("Threagile does not record sandboxing: declare sandbox on the imported runtimes")
	}
	return out, runtimeOf
}

func topCount(counts map[string]int) string {
	best, n := "", 0
	for _, k := range sortedKeys(counts) {
		if counts[k] > n {
			best, n = k, counts[k]
		}
	}
	return best
}

// componentType maps a Threagile technology onto a component type; client
// says it is a client technology.
func componentType(tech, assetType string) (t model.ComponentType, client bool) {
	switch tech {
	case "browser", "desktop", "mobile-app", "client-system", "devops-client", "iot-device", "cli", "tool":
		return model.TypeClient, true
	case "web-server", "web-application", "cms", "report-engine":
		return model.TypeWebApp, false
	case "database", "identity-store-database", "data-lake", "mainframe":
		return model.TypeDatastore, false
	case "file-server", "local-file-system", "block-storage":
		return model.TypeObjectStore, false
	case "search-index", "search-engine":
		return model.TypeSearch, false
	case "reverse-proxy":
		return model.TypeReverseProxy, false
	case "load-balancer":
		return model.TypeLoadBalancer, false
	case "gateway":
		return model.TypeGateway, false
	case "waf", "ids", "ips":
		return model.TypeWAF, false
	case "build-pipeline", "code-inspection-platform":
		return model.TypeCI, false
	case "sourcecode-repository":
		return model.TypeSourceRepo, false
	case "artifact-registry":
		return model.TypeRegistry, false
	case "monitoring":
		return model.TypeMonitoring, false
	case "identity-provider", "ldap-server", "identity-store-ldap":
		return model.TypeIdP, false
	case "message-queue", "stream-processing":
		return model.TypeQueue, false
	case "vault", "hsm":
		return model.TypeVault, false
	case "function":
		return model.TypeFunction, false
	case "batch-processing", "event-listener", "scheduler", "task":
		return model.TypeWorker, false
	case "application-server", "web-service-rest", "web-service-soap", "ejb", "erp", "ai", "service-registry",
		"service-mesh", "container-platform", "mail-server", "library":
		return model.TypeService, false
	}
	switch assetType {
	case "datastore":
		return model.TypeDatastore, false
	case "external-entity":
		return model.TypeExternal, false
	}
	return model.TypeService, false
}

var encryption = map[string]model.Encryption{
	"none":                              model.EncryptionNone,
	"transparent":                       model.EncryptionPlatform,
	"data-with-symmetric-shared-key":    model.EncryptionCMK,
	"data-with-asymmetric-shared-key":   model.EncryptionCMK,
	"data-with-enduser-individual-key":  model.EncryptionPerTenantKey,
	"data-with-end-user-individual-key": model.EncryptionPerTenantKey,
}

func (c *converter) components(zoneOf, runtimeOf map[string]string) []model.Component {
	in := c.in
	var out []model.Component
	titles := sortedKeys(in.TechnicalAssets)
	for _, title := range titles {
		a := in.TechnicalAssets[title]
		aid := firstOf(a.ID, title)
		c.assetIDs[aid] = c.newID(aid, "component")
	}
	for _, title := range titles {
		a := in.TechnicalAssets[title]
		aid := firstOf(a.ID, title)
		techs := slices.Compact(slices.Sorted(slices.Values(append([]string{a.Technology}, a.Technologies...))))
		techs = slices.DeleteFunc(techs, func(s string) bool { return s == "" })
		primary := a.Technology
		if primary == "" && len(a.Technologies) > 0 {
			primary = a.Technologies[0]
		}
		typ, client := componentType(primary, a.Type)
		if a.Type == "external-entity" && !client {
			typ = model.TypeExternal
		}
		if primary == "" || primary == "unknown-technology" {
			c.note("technical asset %s: technology unknown; imported as %s", aid, typ)
		}
		comp := model.Component{
			ID:          c.assetIDs[aid],
			Name:        title,
			Description: strings.TrimSpace(a.Description),
			Type:        typ,
			Tech:        techs,
			Zone:        zoneOf[aid],
			Runtime:     runtimeOf[aid],
			CustomCode:  a.CustomDevelopedParts,
			HumanUser:   a.UsedAsClientByHuman,
			OutOfScope:  a.OutOfScope,
			Platform:    primary == "container-platform",
			Labels:      map[string]string{},
		}
		if a.MultiTenant {
			comp.Tenancy = model.Shared
		}
		if a.Machine != "" {
			comp.Labels["threagile-machine"] = a.Machine
		}
		if a.Owner != "" {
			comp.Labels["owner"] = a.Owner
		}
		if len(comp.Labels) == 0 {
			comp.Labels = nil
		}
		if e, ok := encryption[a.Encryption]; ok {
			comp.EncryptionAtRest = e
		} else if a.Encryption != "" {
			c.note("technical asset %s: encryption %q is not a Threagile value; left out", aid, a.Encryption)
		}
		if typ == model.TypeWAF {
			comp.Controls.Gateway.WAF = true
		}
		for _, f := range a.DataFormatsAccepted {
			switch df := model.DataFormat(f); df {
			case model.FormatJSON, model.FormatXML, model.FormatSerialization, model.FormatFile, model.FormatCSV:
				comp.Accepts = append(comp.Accepts, df)
			default:
				c.note("technical asset %s: data format %q is not a Threagile value; left out", aid, f)
			}
		}
		comp.Processes = c.dataRefs(aid, a.DataAssetsProcessed)
		comp.Stores = c.dataRefs(aid, a.DataAssetsStored)
		out = append(out, comp)
	}
	return out
}

// dataRefs maps Threagile data asset ids, dropping unknown ones with a note.
func (c *converter) dataRefs(owner string, ids []string) []string {
	var out []string
	for _, d := range ids {
		id, ok := c.dataIDs[d]
		if !ok {
			c.note("%s: data asset %q is not defined; left out", owner, d)
			continue
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// protocol maps a Threagile protocol: Redline protocol, whether it is
// encrypted, and whether it carries serialized objects (EJB/RMI).
func protocol(p string) (proto model.Protocol, encrypted, serialization, known bool) {
	switch p {
	case "http":
		return model.ProtocolHTTP, false, false, true
	case "https":
		return model.ProtocolHTTPS, true, false, true
	case "ws":
		return model.ProtocolWebSocket, false, false, true
	case "wss":
		return model.ProtocolWebSocket, true, false, true
	case "reverse-proxy-web-protocol":
		return model.ProtocolHTTP, false, false, true
	case "reverse-proxy-web-protocol-encrypted":
		return model.ProtocolHTTPS, true, false, true
	case "mqtt":
		return model.ProtocolMQTT, false, false, true
	case "jdbc", "odbc", "sql-access-protocol":
		return model.ProtocolSQL, false, false, true
	case "jdbc-encrypted", "odbc-encrypted", "sql-access-protocol-encrypted":
		return model.ProtocolSQL, true, false, true
	case "nosql-access-protocol":
		return model.ProtocolNoSQL, false, false, true
	case "nosql-access-protocol-encrypted":
		return model.ProtocolNoSQL, true, false, true
	case "binary", "text", "nrpe", "xmpp", "jms", "pop3", "imap":
		return model.ProtocolTCP, false, false, true
	case "binary-encrypted", "text-encrypted", "pop3-encrypted", "imap-encrypted":
		return model.ProtocolTCP, true, false, true
	case "ssh", "ssh-tunnel":
		return model.ProtocolSSH, true, false, true
	case "smtp":
		return model.ProtocolSMTP, false, false, true
	case "smtp-encrypted":
		return model.ProtocolSMTP, true, false, true
	case "ftp":
		return model.ProtocolFTP, false, false, true
	case "ftps":
		return model.ProtocolFTP, true, false, true
	case "sftp", "scp":
		return model.ProtocolSFTP, true, false, true
	case "ldap":
		return model.ProtocolLDAP, false, false, true
	case "ldaps":
		return model.ProtocolLDAPS, true, false, true
	case "nfs":
		return model.ProtocolNFS, false, false, true
	case "smb":
		return model.ProtocolSMB, false, false, true
	case "smb-encrypted":
		return model.ProtocolSMB, true, false, true
	case "local-file-access":
		return model.ProtocolLocalFile, false, false, true
	case "iiop", "jrmp":
		return model.ProtocolTCP, false, true, true
	case "iiop-encrypted", "jrmp-encrypted":
		return model.ProtocolTCP, true, true, true
	case "in-process-library-call", "container-spawning":
		return model.ProtocolInProcess, false, false, true
	}
	return model.ProtocolTCP, false, false, false
}

var authentication = map[string]model.Authentication{
	"none":               model.AuthnNone,
	"credentials":        model.AuthnPassword,
	"session-id":         model.AuthnSession,
	"token":              model.AuthnToken,
	"client-certificate": model.AuthnMTLS,
	"two-factor":         model.AuthnPassword,
	"externalized":       model.AuthnSSO,
}

func (c *converter) interfaces(m *model.Model) []model.Interface {
	in := c.in
	var out []model.Interface
	comps := make(map[string]*model.Component, len(m.Components))
	for i := range m.Components {
		comps[m.Components[i].ID] = &m.Components[i]
	}
	assumedTLS := false
	for _, title := range sortedKeys(in.TechnicalAssets) {
		a := in.TechnicalAssets[title]
		aid := firstOf(a.ID, title)
		for _, lt := range sortedKeys(a.CommunicationLinks) {
			l := a.CommunicationLinks[lt]
			threagileID := aid + ">" + strings.Trim(notSlug.ReplaceAllString(strings.ToLower(lt), "-"), "-")
			to, ok := c.assetIDs[l.Target]
			if !ok {
				c.note("communication link %s: target %q is not a technical asset; not imported", threagileID, l.Target)
				continue
			}
			if to == c.assetIDs[aid] {
				c.note("communication link %s: targets its own asset; not imported", threagileID)
				continue
			}
			id := c.newID(c.assetIDs[aid]+"."+lt, "interface")
			c.linkIDs[threagileID] = id
			proto, enc, ser, known := protocol(l.Protocol)
			if !known {
				c.note("communication link %s: protocol %q unknown; imported as tcp", threagileID, l.Protocol)
			}
			f := model.Interface{
				ID: id, Name: lt, Description: strings.TrimSpace(l.Description),
				From: c.assetIDs[aid], To: to, Protocol: proto,
				VPN: l.VPN, IPAllowList: l.IPFiltered, ReadOnly: l.ReadOnly,
				Sends:    c.dataRefs(threagileID, l.DataAssetsSent),
				Receives: c.dataRefs(threagileID, l.DataAssetsReceived),
			}
			switch {
			case enc && proto != model.ProtocolSSH && proto != model.ProtocolSFTP && proto != model.ProtocolLDAPS:
				f.TLS.Version = model.TLS12
				assumedTLS = true
			case !enc && proto != model.ProtocolInProcess && proto != model.ProtocolLocalFile:
				f.TLS.Version = model.TLSNone
			}
			if ser {
				if t := comps[to]; t != nil && !slices.Contains(t.Accepts, model.FormatSerialization) {
					t.Accepts = append(t.Accepts, model.FormatSerialization)
				}
			}
			if u := model.Usage(l.Usage); u == model.UsageBusiness || u == model.UsageDevOps {
				f.Usage = u
			}
			if a, ok := authentication[l.Authentication]; ok {
				f.Authentication = a
			} else {
				c.note("communication link %s: authentication %q unknown; imported as none", threagileID, l.Authentication)
				f.Authentication = model.AuthnNone
			}
			f.MFA = l.Authentication == "two-factor"
			if l.Authentication == "client-certificate" && f.TLS.Version != model.TLSNone {
				f.TLS.Mutual = true
			}
			switch l.Authorization {
			case "none", "":
				f.Authorization = model.AuthzNone
			case "technical-user":
				f.Authorization = model.AuthzAuthenticated
				f.Propagation.Identity = model.IdentityService
			case "enduser-identity-propagation", "end-user-identity-propagation":
				f.Authorization = model.AuthzAuthenticated
				f.Propagation.Identity = model.IdentityEndUser
			default:
				c.note("communication link %s: authorization %q unknown; imported as none", threagileID, l.Authorization)
				f.Authorization = model.AuthzNone
			}
			if f.Authentication == model.AuthnNone {
				f.MFA = false
			}
			out = append(out, f)
		}
	}
	if assumedTLS {
		c.note("Threagile records that a link is encrypted, not how: encrypted links are imported with tls.version 1.2; correct the versions")
	}
	c.note("Threagile has no tenant or risk context on links: set propagation.tenant and propagation.risk where they are carried")
	return out
}

// Risk-tracking statuses that become exceptions: the risk stays, but a
// decision covers it for a time.
// sameRisk maps Threagile rules that Redline covers with the rule of
// another Threagile category: RL-APP-010 (query injection) covers SQL,
// NoSQL, LDAP and search queries, and names sql-nosql-injection.
var sameRisk = map[string]string{
	"ldap-injection":         "sql-nosql-injection",
	"search-query-injection": "sql-nosql-injection",
}

var excepted = map[string]bool{"accepted": true, "in-progress": true, "false-positive": true}

func (c *converter) exceptions(m *model.Model) ([]model.Exception, error) {
	in := c.in
	var out []model.Exception
	seen := make(map[[2]string]bool)
	needExpiry := false
	for _, key := range sortedKeys(in.RiskTracking) {
		if excepted[in.RiskTracking[key].Status] {
			needExpiry = true
		}
	}
	if needExpiry && c.opts.ExceptionExpiry.IsZero() {
		return nil, fmt.Errorf("the model tracks accepted risks, which become exceptions, and exceptions must expire: give an expiry date (--exception-expiry YYYY-MM-DD)")
	}
	for _, key := range sortedKeys(in.RiskTracking) {
		rt := in.RiskTracking[key]
		if !excepted[rt.Status] {
			if rt.Status != "mitigated" {
				c.note("risk tracking %s (%s) is not a decision; not imported", key, firstOf(rt.Status, "unchecked"))
			}
			continue
		}
		category, rest, _ := strings.Cut(key, "@")
		rules := c.opts.Rules[category]
		if len(rules) == 0 {
			rules = c.opts.Rules[sameRisk[category]]
		}
		if len(rules) == 0 {
			c.note("risk tracking %s: Threagile rule %s has no Redline counterpart; not imported", key, category)
			continue
		}
		parts := strings.Split(rest, "@")
		elemPattern := parts[0]
		elems := c.matchElements(elemPattern)
		// A risk Threagile files under an asset may be one Redline reports
		// on the link named later in the id (injection risks are filed
		// under the datastore, Redline reports them on the interface):
		// both become candidates, and the ones no rule reports are pruned.
		linked := false
		for _, p := range parts[1:] {
			if strings.Contains(p, ">") && !strings.Contains(elemPattern, ">") {
				for _, el := range c.matchElements(p) {
					if !slices.Contains(elems, el) {
						elems = append(elems, el)
						linked = true
					}
				}
			}
		}
		if len(elems) == 0 {
			c.note("risk tracking %s: no element matches %q; not imported", key, elemPattern)
			continue
		}
		tentative := strings.Contains(elemPattern, "*") || len(rules) > 1 || linked
		for _, rule := range rules {
			for _, el := range elems {
				k := [2]string{rule, el}
				if seen[k] {
					continue
				}
				seen[k] = true
				if tentative {
					c.res.Tentative[k] = true
				}
				reason := firstOf(rt.Justification, "accepted in Threagile")
				reason = fmt.Sprintf("%s (Threagile %s: %s)", reason, rt.Status, key)
				out = append(out, model.Exception{
					Rule: rule, Element: el, Reason: reason,
					Owner:      firstOf(rt.CheckedBy, m.Metadata.Owner),
					ApprovedBy: rt.CheckedBy, Ticket: rt.Ticket,
					Expires: c.opts.ExceptionExpiry,
				})
			}
		}
	}
	return out, nil
}

// matchElements resolves the element part of a Threagile risk id: a
// technical asset id, a link id (source>link) or a pattern with * in
// either, to Redline element ids.
func (c *converter) matchElements(pattern string) []string {
	var pool map[string]string
	if strings.Contains(pattern, ">") {
		pool = c.linkIDs
	} else {
		pool = c.assetIDs
	}
	var out []string
	for _, tid := range sortedKeys(pool) {
		if ok, _ := path.Match(pattern, tid); ok || pattern == tid {
			out = append(out, pool[tid])
		}
	}
	if len(out) == 0 && pattern == "" {
		return []string{model.ModelElement}
	}
	return out
}

// Prune removes the tentative exceptions for which has(rule, element) is
// false, and returns how many it removed.
func (r *Result) Prune(has func(rule, element string) bool) int {
	before := len(r.Model.Exceptions)
	r.Model.Exceptions = slices.DeleteFunc(r.Model.Exceptions, func(e model.Exception) bool {
		return r.Tentative[[2]string{e.Rule, e.Element}] && !has(e.Rule, e.Element)
	})
	return before - len(r.Model.Exceptions)
}

// cloudTag returns the cloud provider a Threagile tag list names (Threagile's
// cloud rules use the tags aws, azure, gcp and ocp, and aws:* subtags).
func cloudTag(tags []string) string {
	for _, t := range tags {
		name, _, _ := strings.Cut(strings.ToLower(t), ":")
		switch name {
		case "aws", "azure", "gcp", "ocp":
			return name
		}
	}
	return ""
}
