package threat

import (
	"context"
	"reflect"
	"testing"

	"github.com/redline-sec/redline/internal/design/model"
)

// FuzzCheck runs every rule on models the validator would refuse: bytes
// pick elements and overwrite references and enums with dangling ids,
// cycles and unknown values. Check must neither panic nor be
// nondeterministic on them.
func FuzzCheck(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3})
	f.Add([]byte{9, 9, 9, 9, 9, 9, 9, 9})
	f.Add([]byte{4, 0, 7, 2, 5, 1, 3, 6, 8, 10, 11, 12})
	ids := []string{"", "ghost", "web", "db", "edge", "internet", "k8s", "app", "card", "user", "model"}
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 256 {
			return
		}
		m := cleanModel()
		pick := func(i int) string { return ids[int(ops[i%len(ops)])%len(ids)] }
		for i := 0; i+1 < len(ops); i += 2 {
			arg := pick(i + 1)
			switch ops[i] % 12 {
			case 0:
				m.Components[int(ops[i+1])%len(m.Components)].Zone = arg
			case 1:
				m.Components[int(ops[i+1])%len(m.Components)].Runtime = arg
			case 2:
				m.Interfaces[int(ops[i+1])%len(m.Interfaces)].From = arg
			case 3:
				m.Interfaces[int(ops[i+1])%len(m.Interfaces)].To = arg
			case 4:
				m.Zones[int(ops[i+1])%len(m.Zones)].Parent = arg // cycles included
			case 5:
				m.Runtimes[int(ops[i+1])%len(m.Runtimes)].Parent = arg
			case 6:
				m.Interfaces[int(ops[i+1])%len(m.Interfaces)].Sends = []string{arg}
			case 7:
				m.Components[int(ops[i+1])%len(m.Components)].Stores = []string{arg, arg}
			case 8:
				m.Components[int(ops[i+1])%len(m.Components)].Type = model.ComponentType(arg)
			case 9:
				m.Exceptions = append(m.Exceptions, model.Exception{Rule: "RL-APP-002", Element: arg, Expires: future})
			case 10:
				m.Components = append(m.Components, model.Component{ID: arg, Zone: arg, Runtime: arg, RunsUntrustedCode: true})
			case 11:
				m.Interfaces = append(m.Interfaces, model.Interface{ID: arg, From: arg, To: pick(i), Protocol: model.ProtocolSSH})
			}
		}
		a, err := Check(context.Background(), m, Options{})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Check(context.Background(), m, Options{})
		if !reflect.DeepEqual(a.Findings, b.Findings) {
			t.Fatal("nondeterministic")
		}
	})
}
