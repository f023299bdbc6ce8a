// Package server is Redline's platform server: a JSON API under /api/v1
// over the findings store, where scans are uploaded and findings, their
// lifecycle and the KPIs are read and changed. Every request but the health
// probes is authenticated, by an API token or by the session of a person
// signed in with OIDC (with roles per product and CSRF protection), every
// mutating request is written to the audit log, and the server shuts down
// without dropping an upload it has started.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/redline-sec/redline/internal/notify"
	"github.com/redline-sec/redline/internal/store"
)

// Defaults of Config.
const (
	DefaultMaxUpload     = 64 << 20
	DefaultSweepInterval = 10 * time.Minute
	DefaultShutdownGrace = 60 * time.Second
	DefaultAlertInterval = 5 * time.Minute
)

// Config configures a Server. Store is required.
type Config struct {
	Store store.Store
	// Logger receives one JSON line per request and every problem; a
	// discarding logger when nil.
	Logger *slog.Logger
	// MaxUpload is the largest report body accepted, in bytes.
	MaxUpload int64
	// SLA is the default SLA of the KPI endpoint.
	SLA store.SLA
	// SweepInterval is how often expired acceptances are reopened.
	SweepInterval time.Duration
	// ShutdownGrace bounds how long Run waits for in-flight requests.
	ShutdownGrace time.Duration
	// OIDC enables sign-in for people; nil serves API tokens only.
	OIDC *OIDCConfig
	// DevCookies names the session cookie without the __Host- prefix and
	// the Secure attribute, for a plain-HTTP server on loopback only.
	DevCookies bool
	// SessionTTL bounds a session's life; SessionIdle ends one unused for
	// that long.
	SessionTTL, SessionIdle time.Duration
	// ReviewWebhook, when set, receives every review decision as a JSON
	// event (notify.ReviewEvent): the security operations hand-off.
	ReviewWebhook string
	// Alerts receive new critical findings and SLA breaches (each once),
	// swept every AlertInterval and after each upload.
	Alerts []notify.FindingNotifier
	// AlertInterval is how often SLA breaches are looked for and failed
	// alerts retried; DefaultAlertInterval when 0.
	AlertInterval time.Duration
	// TrustedProxies are the reverse proxies (see ParseTrustedProxies)
	// whose X-Forwarded-For or Forwarded header names the client of a
	// request: the address the audit log, rate limits and sessions record.
	// From any other peer those headers are ignored. None by default.
	TrustedProxies []netip.Prefix
}

// Server serves the API. Make one with New.
type Server struct {
	cfg     Config
	store   store.Store
	log     *slog.Logger
	mux     *http.ServeMux
	handler http.Handler // mux behind the trusted-proxy client address
	metrics *metrics
	oidc    *oidcClient  // nil without OIDC sign-in
	signIn  signInLimits // rate limits of sign-in
	// alertKick wakes the alert loop after an upload.
	alertKick chan struct{}
	// standards keeps the standards reviews are checked against, parsed.
	standards *standardCache
}

// New builds a server over a store.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("server: no store")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = DefaultMaxUpload
	}
	if cfg.SLA == (store.SLA{}) {
		cfg.SLA = store.DefaultSLA()
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = DefaultSweepInterval
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = DefaultShutdownGrace
	}
	if cfg.AlertInterval <= 0 {
		cfg.AlertInterval = DefaultAlertInterval
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.SessionIdle <= 0 {
		cfg.SessionIdle = DefaultSessionIdle
	}
	s := &Server{cfg: cfg, store: cfg.Store, log: cfg.Logger, mux: http.NewServeMux(), metrics: newMetrics(), signIn: newSignInLimits(),
		alertKick: make(chan struct{}, 1), standards: &standardCache{}}
	if cfg.OIDC != nil {
		o, err := newOIDC(*cfg.OIDC)
		if err != nil {
			return nil, err
		}
		s.oidc = o
	}
	s.routes()
	s.authRoutes()
	s.handler = withClientAddr(proxies(cfg.TrustedProxies), s.mux)
	return s, nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Run serves on l until ctx is cancelled, sweeping expired acceptances
// every SweepInterval. On cancellation it stops accepting connections and
// waits up to ShutdownGrace for requests in flight (uploads finish and
// commit) before returning.
func (s *Server) Run(ctx context.Context, l net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		// Requests keep running after ctx ends: shutdown waits for them.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	sweepCtx, stopSweep := context.WithCancel(ctx)
	defer stopSweep()
	sweepDone := make(chan struct{})
	alertDone := make(chan struct{})
	go func() {
		defer close(alertDone)
		if len(s.cfg.Alerts) > 0 {
			s.alertLoop(sweepCtx, s.cfg.AlertInterval)
		}
	}()
	go func() {
		defer close(sweepDone)
		t := time.NewTicker(s.cfg.SweepInterval)
		defer t.Stop()
		for {
			select {
			case <-sweepCtx.Done():
				return
			case <-t.C:
				if n, err := s.store.SweepExpired(sweepCtx); err != nil {
					s.log.Error("sweep expired acceptances", "err", err)
				} else if n > 0 {
					s.log.Info("reopened findings whose acceptance expired", "count", n)
				}
				if n, err := s.store.PruneSessions(sweepCtx, s.cfg.SessionIdle); err != nil {
					s.log.Error("prune sessions", "err", err)
				} else if n > 0 {
					s.log.Debug("pruned ended sessions", "count", n)
				}
				// A store that keeps its own planner statistics (SQLite)
				// refreshes them as the data grows.
				if o, ok := s.store.(interface{ Optimize(context.Context) error }); ok {
					if err := o.Optimize(sweepCtx); err != nil {
						s.log.Error("refresh query statistics", "err", err)
					}
				}
			}
		}
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	s.log.Info("serving", "addr", l.Addr().String())
	select {
	case err := <-errc:
		stopSweep()
		<-sweepDone
		<-alertDone
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down: waiting for requests in flight", "grace", s.cfg.ShutdownGrace.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	stopSweep()
	<-sweepDone
	<-alertDone
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	s.log.Info("stopped")
	return nil
}

// metrics are the server's Prometheus collectors, on a registry of its own.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inflight prometheus.Gauge
	ingested prometheus.Counter
	uploads  *prometheus.CounterVec
	alerts   *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "redline_http_requests_total", Help: "HTTP requests by route, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "redline_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "redline_http_requests_in_flight", Help: "HTTP requests being served.",
		}),
		ingested: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "redline_ingested_findings_total", Help: "Findings received in uploaded scans.",
		}),
		uploads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "redline_uploads_total", Help: "Scan uploads by result (new, duplicate, rejected, failed).",
		}, []string{"result"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "redline_alerts_total", Help: "Alert deliveries about findings by kind (new_critical, sla_breach) and result (sent, failed).",
		}, []string{"kind", "result"}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.inflight, m.ingested, m.uploads, m.alerts,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
