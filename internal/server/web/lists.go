package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/redline-sec/redline/internal/store"
)

func isInvalid(err error) bool { return errors.Is(err, store.ErrInvalid) }

type targetsPage struct {
	base
	Products []option
	Targets  []store.Target
}

func (d *Dashboard) targets(w http.ResponseWriter, r *http.Request, u User) error {
	product, products, err := d.productScope(r.Context(), u, r.URL.Query().Get("product"))
	if err != nil {
		return err
	}
	ts, err := d.cfg.Store.Targets(r.Context(), product)
	if err != nil {
		return err
	}
	p := &targetsPage{base: d.base(r, u, "Targets"), Targets: ts, Products: products}
	p.Nav = "targets"
	d.render(w, r, http.StatusOK, "targets", p)
	return nil
}

// maxExpiringShown bounds how many acceptances the expiring page lists.
const maxExpiringShown = 200

// expiryWindows are the choices of the expiring-acceptances page, in days.
var expiryWindows = []int{7, 30, 90, 365}

type exceptionsPage struct {
	base
	Products []option
	Windows  []option
	Within   int
	Expiring []expiring
	// More counts acceptances in the window that are not listed.
	More int
}

// expiring is a live acceptance, its finding and the days left on it.
type expiring struct {
	store.ExpiringAcceptance
	DaysLeft int
}

func (d *Dashboard) exceptions(w http.ResponseWriter, r *http.Request, u User) error {
	ctx := r.Context()
	q := r.URL.Query()
	within := 30
	if v := q.Get("within"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || !slices.Contains(expiryWindows, n) {
			return &pageError{status: http.StatusBadRequest, msg: "Choose a window of 7, 30, 90 or 365 days."}
		}
		within = n
	}
	product, products, err := d.productScope(ctx, u, q.Get("product"))
	if err != nil {
		return err
	}
	now := d.cfg.Now().UTC()
	list, err := d.cfg.Store.ExpiringAcceptances(ctx, store.ExpiringQuery{Product: product, Before: now.AddDate(0, 0, within), Limit: maxExpiringShown})
	if err != nil {
		return err
	}
	p := &exceptionsPage{base: d.base(r, u, "Acceptances expiring soon"), Within: within, Products: products,
		More: list.Total - len(list.Acceptances)}
	p.Nav = "exceptions"
	for _, n := range expiryWindows {
		p.Windows = append(p.Windows, option{Value: strconv.Itoa(n), Label: strconv.Itoa(n) + " days", Selected: n == within})
	}
	for _, a := range list.Acceptances {
		left := int(a.Exception.ExpiresAt.Sub(now).Hours() / 24)
		p.Expiring = append(p.Expiring, expiring{ExpiringAcceptance: a, DaysLeft: max(left, 0)})
	}
	d.render(w, r, http.StatusOK, "exceptions", p)
	return nil
}

// blockedShown bounds the blocked builds listed.
const blockedShown = 100

type blockedPage struct {
	base
	Products []option
	Builds   []store.BlockedBuild
	Since    time.Time
}

func (d *Dashboard) blocked(w http.ResponseWriter, r *http.Request, u User) error {
	product, products, err := d.productScope(r.Context(), u, r.URL.Query().Get("product"))
	if err != nil {
		return err
	}
	since := d.cfg.Now().UTC().AddDate(0, 0, -overviewDays)
	bb, err := d.cfg.Store.BlockedBuilds(r.Context(), store.BlockedQuery{Product: product, Since: since, Limit: blockedShown})
	if err != nil {
		return err
	}
	p := &blockedPage{base: d.base(r, u, "Blocked builds"), Builds: bb, Since: since, Products: products}
	p.Nav = "blocked"
	d.render(w, r, http.StatusOK, "blocked", p)
	return nil
}
