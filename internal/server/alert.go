package server

import (
	"context"
	"errors"
	"time"

	"github.com/redline-sec/redline/internal/notify"
	"github.com/redline-sec/redline/internal/store"
)

const (
	// alertLease is how long a sweep holds the alerts it claimed before
	// another sweep (or replica) may take them over; it covers the
	// notifiers' retries.
	alertLease = 5 * time.Minute
	// alertListed is how many findings one alert message lists.
	alertListed = 20
)

// kickAlerts asks the alert loop of Run to sweep soon (after an upload
// that may have opened critical findings). It never blocks.
func (s *Server) kickAlerts() {
	if len(s.cfg.Alerts) == 0 {
		return
	}
	select {
	case s.alertKick <- struct{}{}:
	default:
	}
}

// sweepAlerts queues SLA breaches and delivers every pending alert: one
// message per kind to every notifier. A delivery that fails on any
// notifier is logged and its alerts return to the queue for the next
// sweep (notifiers that did receive it then receive it again).
func (s *Server) sweepAlerts(ctx context.Context) error {
	if len(s.cfg.Alerts) == 0 {
		return nil
	}
	var errs []error
	if n, err := s.store.QueueSLABreaches(ctx, s.cfg.SLA); err != nil {
		errs = append(errs, err)
	} else if n > 0 {
		s.log.Info("findings breached their SLA", "count", n)
	}
	for _, kind := range []store.AlertKind{store.AlertNewCritical, store.AlertSLABreach} {
		b, err := s.store.ClaimAlerts(ctx, kind, alertLease, alertListed)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if b.Total == 0 {
			continue
		}
		a := findingAlert(b)
		delivered := true
		for _, n := range s.cfg.Alerts {
			if err := n.NotifyFindings(ctx, a); err != nil {
				delivered = false
				s.log.Warn("alert not delivered; retrying on the next sweep", "kind", string(kind), "findings", b.Total, "err", err)
				s.metrics.alerts.WithLabelValues(string(kind), "failed").Inc()
			} else {
				s.metrics.alerts.WithLabelValues(string(kind), "sent").Inc()
			}
		}
		// Release even when ctx ended, so that the next sweep need not
		// wait for the lease.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		err = s.store.ReleaseAlerts(rctx, b.Claim, delivered)
		cancel()
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// findingAlert is the notifier's view of a claimed batch.
func findingAlert(b store.AlertBatch) notify.FindingAlert {
	a := notify.FindingAlert{Kind: string(b.Kind), Total: b.Total, Findings: make([]notify.AlertFinding, 0, len(b.Findings))}
	for _, f := range b.Findings {
		af := notify.AlertFinding{ID: f.ID, Product: f.Product, Target: f.Target, FindingID: f.RuleID, Kind: string(f.Kind),
			Severity: f.Severity.String(), Title: f.Title, State: string(f.State), FirstSeen: f.FirstSeen}
		if f.Package != nil {
			af.Package = f.Package.Name
			if f.Package.Version != "" {
				af.Package += "@" + f.Package.Version
			}
		}
		a.Findings = append(a.Findings, af)
	}
	return a
}

// alertLoop sweeps alerts every interval and when kicked, until ctx ends.
func (s *Server) alertLoop(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.sweepAlerts(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("alert sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.alertKick:
		}
	}
}
