// Package catalogers is the one list of every inventory cataloger Redline
// has. A new format is added here and nowhere else.
package catalogers

import (
	"github.com/redline-sec/redline/internal/inventory"
	"github.com/redline-sec/redline/internal/inventory/apk"
	"github.com/redline-sec/redline/internal/inventory/cargo"
	"github.com/redline-sec/redline/internal/inventory/composer"
	"github.com/redline-sec/redline/internal/inventory/dpkg"
	"github.com/redline-sec/redline/internal/inventory/golang"
	"github.com/redline-sec/redline/internal/inventory/java"
	"github.com/redline-sec/redline/internal/inventory/npm"
	"github.com/redline-sec/redline/internal/inventory/python"
	"github.com/redline-sec/redline/internal/inventory/rpm"
	"github.com/redline-sec/redline/internal/inventory/rubygems"
)

// All returns a new instance of every cataloger, in a fixed order.
func All() []inventory.Cataloger {
	var cs []inventory.Cataloger
	for _, group := range [][]inventory.Cataloger{
		dpkg.Catalogers(),
		apk.Catalogers(),
		rpm.Catalogers(),
		golang.Catalogers(),
		npm.Catalogers(),
		python.Catalogers(),
		cargo.Catalogers(),
		composer.Catalogers(),
		rubygems.Catalogers(),
		java.Catalogers(),
	} {
		cs = append(cs, group...)
	}
	return cs
}
