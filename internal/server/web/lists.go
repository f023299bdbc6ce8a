package web

import (
	"cmp"
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
	product := r.URL.Query().Get("product")
	ts, err := d.cfg.Store.Targets(r.Context(), product)
	if err != nil {
		return err
	}
	p := &targetsPage{base: d.base(r, u, "Targets"), Targets: ts}
	p.Nav = "targets"
	if p.Products, err = d.productOptions(r.Context(), product); err != nil {
		return err
	}
	d.render(w, r, http.StatusOK, "targets", p)
	return nil
}

// Bounds of the expiring-acceptances page.
const (
	// maxAcceptedScanned bounds how many accepted findings the page reads.
	maxAcceptedScanned = 10 * store.MaxPageSize
	// maxExpiringShown bounds how many it lists.
	maxExpiringShown = 200
)

// expiryWindows are the choices of the expiring-acceptances page, in days.
var expiryWindows = []int{7, 30, 90, 365}

type exceptionsPage struct {
	base
	Products []option
	Windows  []option
	Within   int
	Expiring []expiring
	// More counts acceptances in the window that are not listed; Partial
	// is set when there were too many accepted findings to read them all.
	More    int
	Partial bool
}

// expiring is an accepted finding and the days left on its acceptance.
type expiring struct {
	store.Finding
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
	now := d.cfg.Now().UTC()
	limit := now.AddDate(0, 0, within)
	p := &exceptionsPage{base: d.base(r, u, "Acceptances expiring soon"), Within: within}
	p.Nav = "exceptions"
	var err error
	if p.Products, err = d.productOptions(ctx, q.Get("product")); err != nil {
		return err
	}
	for _, n := range expiryWindows {
		p.Windows = append(p.Windows, option{Value: strconv.Itoa(n), Label: strconv.Itoa(n) + " days", Selected: n == within})
	}
	fq := store.FindingQuery{Product: q.Get("product"), States: []store.State{store.StateAccepted}, Limit: store.MaxPageSize}
	scanned := 0
	for {
		page, err := d.cfg.Store.Findings(ctx, fq)
		if err != nil {
			return err
		}
		scanned += len(page.Findings)
		for _, f := range page.Findings {
			if f.AcceptedUntil != nil && f.AcceptedUntil.Before(limit) {
				left := int(f.AcceptedUntil.Sub(now).Hours() / 24)
				p.Expiring = append(p.Expiring, expiring{Finding: f, DaysLeft: max(left, 0)})
			}
		}
		if page.Next == "" {
			break
		}
		if scanned >= maxAcceptedScanned {
			p.Partial = true
			break
		}
		fq.Cursor = page.Next
	}
	slices.SortFunc(p.Expiring, func(a, b expiring) int {
		if c := a.AcceptedUntil.Compare(*b.AcceptedUntil); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if len(p.Expiring) > maxExpiringShown {
		p.More = len(p.Expiring) - maxExpiringShown
		p.Expiring = p.Expiring[:maxExpiringShown]
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
	product := r.URL.Query().Get("product")
	since := d.cfg.Now().UTC().AddDate(0, 0, -overviewDays)
	bb, err := d.cfg.Store.BlockedBuilds(r.Context(), store.BlockedQuery{Product: product, Since: since, Limit: blockedShown})
	if err != nil {
		return err
	}
	p := &blockedPage{base: d.base(r, u, "Blocked builds"), Builds: bb, Since: since}
	p.Nav = "blocked"
	if p.Products, err = d.productOptions(r.Context(), product); err != nil {
		return err
	}
	d.render(w, r, http.StatusOK, "blocked", p)
	return nil
}
