package threat

import (
	"fmt"
	"slices"

	"github.com/redline-sec/redline/internal/design/model"
)

func dataRules() []Rule {
	return []Rule{
		def("RL-DATA-001", "Restricted data sent where it is not needed", LayerData, InformationDisclosure, 200,
			Unlikely, ImpactLow, "unnecessary-data-transfer",
			"Restricted data sent to a component that neither processes, stores nor forwards it widens the set of places it can leak from for no benefit.",
			"Stop sending the data (minimise payloads), or model why the component needs it.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachInterface(func(f *modelInterface, _, to *modelComponent) {
					if isEntry(to) || !isWorkload(to) {
						return
					}
					for _, id := range f.Sends {
						d := x.g.Data(id)
						if d == nil || d.Classification.Rank() < rankOf(model.Restricted) {
							continue
						}
						if slices.Contains(to.Processes, id) || slices.Contains(to.Stores, id) || x.forwards(to, id) {
							continue
						}
						emit(f.ID, fmt.Sprintf("%s sends %s data %s to %s, which neither processes, stores nor forwards it", f.ID, d.Classification, id, f.To))
						return
					}
				})
			}),
		def("RL-DATA-002", "Data residency violated", LayerData, InformationDisclosure, 359,
			Likely, ImpactHigh, "",
			"Data that must stay in given regions (law, contracts) is processed or stored by a component in another region.",
			"Deploy the component in an allowed region, or keep the data away from it.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachComponent(func(c *modelComponent) {
					region := x.regionOf(c)
					if region == "" {
						return
					}
					for _, list := range [][]string{c.Stores, c.Processes} {
						for _, id := range list {
							d := x.g.Data(id)
							if d != nil && len(d.Residency) > 0 && !slices.Contains(d.Residency, region) {
								emit(c.ID, fmt.Sprintf("%s handles %s in region %s; it may only be in %v", c.ID, id, region, d.Residency))
								return
							}
						}
					}
				})
			}),
		def("RL-DATA-003", "Data asset never used", LayerData, InformationDisclosure, 1008,
			Unlikely, ImpactLow, "unnecessary-data-asset",
			"A data asset no component processes, stores or transfers is either obsolete or a sign the model misses the components that handle it.",
			"Remove the data asset, or model the components and interfaces that handle it.",
			func(x *evalCtx, emit func(string, string)) {
				used := make(map[string]bool)
				for i := range x.m.Components {
					c := &x.m.Components[i]
					for _, id := range append(slices.Clip(c.Processes), c.Stores...) {
						used[id] = true
					}
				}
				for i := range x.m.Interfaces {
					for _, id := range x.m.Interfaces[i].Carries() {
						used[id] = true
					}
				}
				for i := range x.m.Data {
					if !used[x.m.Data[i].ID] {
						emit(x.m.Data[i].ID, fmt.Sprintf("no component or interface handles %s", x.m.Data[i].ID))
					}
				}
			}),
		def("RL-DATA-004", "Restricted data shared with an external party", LayerData, InformationDisclosure, 200,
			Likely, ImpactMedium, "",
			"Restricted data sent to a third-party system leaves the product's controls; it needs a legal basis, a contract and the third party's assurance.",
			"Minimise or pseudonymise what is sent; record the processing agreement and review in the exception or the model description.",
			func(x *evalCtx, emit func(string, string)) {
				x.eachInterface(func(f *modelInterface, _, to *modelComponent) {
					if to.Type != model.TypeExternal {
						return
					}
					for _, id := range f.Sends {
						if d := x.g.Data(id); d != nil && d.Classification.Rank() >= rankOf(model.Restricted) {
							emit(f.ID, fmt.Sprintf("%s sends %s data %s to external %s", f.ID, d.Classification, id, f.To))
							return
						}
					}
				})
			}),
	}
}

// forwards reports whether a component sends the data on to someone else.
func (x *evalCtx) forwards(c *model.Component, dataID string) bool {
	for _, f := range x.g.Outgoing(c.ID) {
		if slices.Contains(f.Sends, dataID) {
			return true
		}
	}
	for _, f := range x.g.Incoming(c.ID) {
		if slices.Contains(f.Receives, dataID) {
			return true
		}
	}
	return false
}
