package model

import (
	"slices"
	"testing"
)

// smallModel is built in Go: internet user -> gateway (dmz) -> api (app) ->
// db (data), plus an admin tool in mgmt that nothing on the internet calls.
func smallModel() *Model {
	trust := 70
	return &Model{
		APIVersion: APIVersion,
		Kind:       KindModel,
		Metadata:   Metadata{Product: "shop", Release: "1", Owner: "team", Standard: "corp-baseline@2026H1"},
		Data: []DataAsset{
			{ID: "catalog", Classification: Public},
			{ID: "orders", Classification: Confidential, TenantScoped: true},
			{ID: "cards", Classification: Restricted},
		},
		Zones: []Zone{
			{ID: "internet", Kind: ZoneInternet},
			{ID: "vpc", Kind: ZoneInternal},
			{ID: "dmz", Kind: ZoneDMZ, Parent: "vpc"},
			{ID: "app", Kind: ZoneInternal, Parent: "vpc"},
			{ID: "data", Kind: ZoneRestricted, Parent: "app", Trust: &trust},
			{ID: "mgmt", Kind: ZoneManagement, Parent: "vpc"},
		},
		Runtimes: []Runtime{
			{ID: "cluster", Kind: RuntimeKubernetesCluster, Sharing: Shared},
			{ID: "ns-a", Kind: RuntimeKubernetesNamespace, Parent: "cluster"},
			{ID: "ns-b", Kind: RuntimeKubernetesNamespace, Parent: "cluster"},
			{ID: "rds", Kind: RuntimeManagedService},
		},
		Components: []Component{
			{ID: "user", Type: TypeClient, Zone: "internet", HumanUser: true},
			{ID: "gw", Type: TypeGateway, Zone: "dmz", Runtime: "ns-a", Processes: []string{"catalog"}},
			{ID: "api", Type: TypeService, Zone: "app", Runtime: "ns-b", Processes: []string{"orders"}},
			{ID: "db", Type: TypeDatastore, Zone: "data", Runtime: "rds", Stores: []string{"orders", "cards"}},
			{ID: "admin", Type: TypeAdminConsole, Zone: "mgmt", Runtime: "ns-b"},
		},
		Interfaces: []Interface{
			{ID: "u-gw", From: "user", To: "gw", Protocol: ProtocolHTTPS, Authentication: AuthnToken, Authorization: AuthzScopedToken, Sends: []string{"orders"}, Receives: []string{"catalog"}},
			{ID: "gw-api", From: "gw", To: "api", Protocol: ProtocolGRPC, TLS: TLS{Version: TLS13, Mutual: true}, Authentication: AuthnMTLS, Authorization: AuthzRBAC, Sends: []string{"orders"}},
			{ID: "api-db", From: "api", To: "db", Protocol: ProtocolSQL, TLS: TLS{Version: TLSNone}, Authentication: AuthnPassword, Authorization: AuthzRBAC, Sends: []string{"orders"}},
			{ID: "admin-db", From: "admin", To: "db", Protocol: ProtocolSQL, Authentication: AuthnPassword, Authorization: AuthzRBAC, Receives: []string{"cards"}},
		},
	}
}

func TestGraph(t *testing.T) {
	m := smallModel()
	if err := Validate(m); err != nil {
		t.Fatal(err)
	}
	g := NewGraph(m)

	t.Run("lookups", func(t *testing.T) {
		if g.Kind("api") != ElementComponent || g.Kind("orders") != ElementData || g.Kind("nope") != "" {
			t.Error("kinds")
		}
		if g.Component("db").Type != TypeDatastore || g.Zone("dmz").Parent != "vpc" {
			t.Error("lookups")
		}
		if got := ids(g.Incoming("db")); !slices.Equal(got, []string{"api-db", "admin-db"}) {
			t.Errorf("incoming db %v", got)
		}
		if got := ids(g.Outgoing("gw")); !slices.Equal(got, []string{"gw-api"}) {
			t.Errorf("outgoing gw %v", got)
		}
	})

	t.Run("zones crossed", func(t *testing.T) {
		cases := map[string][]string{
			"u-gw":     {"internet", "vpc", "dmz"}, // leave internet, enter vpc, then dmz
			"gw-api":   {"dmz", "app"},             // siblings under vpc
			"api-db":   {"data"},                   // into a child zone
			"admin-db": {"mgmt", "app", "data"},    // up to vpc, down to data
		}
		for id, want := range cases {
			if got := g.ZonesCrossed(g.Interface(id)); !slices.Equal(got, want) {
				t.Errorf("%s crosses %v, want %v", id, got, want)
			}
			if !g.CrossesZones(g.Interface(id)) {
				t.Errorf("%s crosses zones", id)
			}
		}
		if d := g.TrustDelta(g.Interface("api-db")); d != 20 { // 50 -> explicit 70
			t.Errorf("trust delta api-db %d", d)
		}
		if !g.FromInternet(g.Interface("u-gw")) || g.FromInternet(g.Interface("gw-api")) {
			t.Error("FromInternet")
		}
	})

	t.Run("reach", func(t *testing.T) {
		cases := map[string]Reach{
			"user":  {Reachable: true},
			"gw":    {Reachable: true, Hops: 1, Via: "u-gw"},
			"api":   {Reachable: true, Hops: 2, Via: "gw-api"},
			"db":    {Reachable: true, Hops: 3, Via: "api-db"},
			"admin": {},
		}
		for id, want := range cases {
			if got := g.Reach(id); got != want {
				t.Errorf("reach %s = %+v, want %+v", id, got, want)
			}
		}
		if got := ids(g.InternetPath("db")); !slices.Equal(got, []string{"u-gw", "gw-api", "api-db"}) {
			t.Errorf("path to db %v", got)
		}
	})

	t.Run("data facts", func(t *testing.T) {
		if f := g.Facts("db"); f.Stored != Restricted || f.Max != Restricted || !f.TenantScoped || f.Carried != Restricted {
			t.Errorf("db facts %+v", f)
		}
		if f := g.Facts("gw"); f.Processed != Public || f.Carried != Confidential || f.Max != Confidential {
			t.Errorf("gw facts %+v", f)
		}
		if g.MaxClassification("admin") != Restricted { // carried on admin-db
			t.Error("admin carries cards")
		}
		if Restricted.Rank() <= Confidential.Rank() || Classification("").Rank() != 0 || Secret.Rank() != 5 {
			t.Error("classification order")
		}
	})

	t.Run("co-location", func(t *testing.T) {
		if got := compIDs(g.CoLocated("cluster")); !slices.Equal(got, []string{"admin", "api", "gw"}) {
			t.Errorf("cluster hosts %v", got)
		}
		cls := g.CoLocations()
		if len(cls) != 2 || cls[0].Runtime.ID != "cluster" || cls[1].Runtime.ID != "ns-b" {
			t.Errorf("co-locations %+v", cls)
		}
		if got := g.RuntimeChain("api"); len(got) != 2 || got[1].ID != "cluster" {
			t.Errorf("runtime chain %v", got)
		}
	})

	t.Run("encrypted", func(t *testing.T) {
		want := map[string]bool{"u-gw": true, "gw-api": true, "api-db": false, "admin-db": false}
		for id, w := range want {
			if got := g.Interface(id).Encrypted(); got != w {
				t.Errorf("%s encrypted = %v", id, got)
			}
		}
	})
}

func TestGraphToleratesDanglingRefs(t *testing.T) {
	m := smallModel()
	m.Components[1].Zone = "gone"
	m.Components[1].Runtime = "gone"
	m.Interfaces = append(m.Interfaces, Interface{ID: "x", From: "ghost", To: "db"})
	m.Zones[1].Parent = "dmz" // a cycle: vpc -> dmz -> vpc
	g := NewGraph(m)
	g.ZonesCrossed(&m.Interfaces[0])
	g.ZonesCrossed(&m.Interfaces[len(m.Interfaces)-1])
	if !g.Reach("db").Reachable {
		t.Error("gw still exists, so user -> gw -> api -> db still holds")
	}
	if err := Validate(m); err == nil {
		t.Fatal("validation must fail")
	}
}

func TestHash(t *testing.T) {
	a, b := smallModel(), smallModel()
	b.Components[0].Pos = Pos{File: "elsewhere.yaml", Line: 9}
	b.Files = []string{"x.yaml"}
	if a.Hash() != b.Hash() {
		t.Error("positions and files must not change the hash")
	}
	b.Components[1].Controls.Gateway.WAF = true
	if a.Hash() == b.Hash() {
		t.Error("a control change must change the hash")
	}
}

func ids(fs []*Interface) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

func compIDs(cs []*Component) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}
