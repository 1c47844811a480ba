// Package metrics owns ccm's Prometheus collectors. Their names and labels
// are a documented contract (README "Metrics"): dashboards and alerts are
// built on them, so rename nothing without a deprecation.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds every collector ccm exports.
type Metrics struct {
	Registry *prometheus.Registry

	FailuresDetected   *prometheus.CounterVec   // {repo}
	DetectionLatency   prometheus.Histogram     // seconds from run completion to record
	GitHubRequests     *prometheus.CounterVec   // {code}
	GitHubRateLimit    prometheus.Gauge         // remaining primary rate limit
	TasksProcessed     *prometheus.CounterVec   // {type,outcome}
	TaskDuration       *prometheus.HistogramVec // {type}
	QueueSize          *prometheus.GaugeVec     // {queue,state}
	Analyses           *prometheus.CounterVec   // {source,category}
	AnalysisLatency    *prometheus.HistogramVec // {source}
	LLMTokens          *prometheus.CounterVec   // {kind}
	LLMFallbacks       prometheus.Counter       // rules took over from the LLM
	Alerts             *prometheus.CounterVec   // {severity}
	ConfigReloads      *prometheus.CounterVec   // {outcome}
	WebhookDeliveries  *prometheus.CounterVec   // {outcome}
	LogsUnavailable    prometheus.Counter       // failures recorded without a log
	AnalysisCacheHits  prometheus.Counter
	AnalysisCacheMiss  prometheus.Counter
	PollRunsDiscovered *prometheus.CounterVec   // {repo}
	Remediations       *prometheus.CounterVec   // {action,outcome}
	RemediationLatency prometheus.Histogram     // seconds from detection to acting
	TimeToResolution   *prometheus.HistogramVec // {outcome}: detection to remediated or failed
}

// New builds the collectors on a fresh registry (never the global one, so
// tests can build many).
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f := factory{reg}
	latency := prometheus.ExponentialBuckets(0.5, 2, 14) // 0.5 s .. ~68 min
	return &Metrics{
		Registry: reg,
		FailuresDetected: f.counterVec("ccm_failures_detected_total",
			"Failed workflow runs recorded, by repository.", "repo"),
		DetectionLatency: f.histogram("ccm_detection_latency_seconds",
			"Time from a run's completion to ccm recording its failure.", latency),
		GitHubRequests: f.counterVec("ccm_github_requests_total",
			"GitHub API responses by HTTP status code (304 = served from the ETag cache).", "code"),
		GitHubRateLimit: f.gauge("ccm_github_rate_limit_remaining",
			"Remaining GitHub primary rate limit, from the last response."),
		TasksProcessed: f.counterVec("ccm_tasks_processed_total",
			"Tasks handled by type and outcome (success, retry, failed, skipped).", "type", "outcome"),
		TaskDuration: f.histogramVec("ccm_task_duration_seconds",
			"Task handler duration by type.", prometheus.DefBuckets, "type"),
		QueueSize: f.gaugeVec("ccm_queue_size",
			"Tasks in each asynq queue by state (pending, active, scheduled, retry, archived).", "queue", "state"),
		Analyses: f.counterVec("ccm_analyses_total",
			"Analyses stored, by source (llm, rules, cache) and category.", "source", "category"),
		AnalysisLatency: f.histogramVec("ccm_analysis_latency_seconds",
			"Time to analyze a failure, by source.", prometheus.ExponentialBuckets(0.01, 2.5, 12), "source"), // 10 ms .. ~10 min
		LLMTokens: f.counterVec("ccm_llm_tokens_total",
			"Tokens used by LLM analyses, by kind (prompt, completion).", "kind"),
		LLMFallbacks: f.counter("ccm_llm_fallbacks_total",
			"Analyses where the rule-based analyzer took over from the LLM."),
		Alerts: f.counterVec("ccm_alerts_total",
			"Alert events raised, by severity (critical, warning).", "severity"),
		ConfigReloads: f.counterVec("ccm_config_reloads_total",
			"Configuration file reloads by outcome (applied, rejected).", "outcome"),
		WebhookDeliveries: f.counterVec("ccm_webhook_deliveries_total",
			"GitHub webhook deliveries by outcome (enqueued, ignored, rejected).", "outcome"),
		LogsUnavailable: f.counter("ccm_logs_unavailable_total",
			"Failures recorded without a log because the download kept failing."),
		AnalysisCacheHits: f.counter("ccm_analysis_cache_hits_total",
			"Analyses reused from the fingerprint cache (no LLM call)."),
		AnalysisCacheMiss: f.counter("ccm_analysis_cache_misses_total",
			"Analyses that found no cached result for their fingerprint."),
		PollRunsDiscovered: f.counterVec("ccm_poll_runs_discovered_total",
			"Failed runs found by polling that were not yet recorded, by repository.", "repo"),
		Remediations: f.counterVec("ccm_remediations_total",
			"Finished remediations by action (rerun_failed_jobs, rerun_workflow, delete_cache, cancel_run, open_fix_pr) and outcome (success, failure); a remediation of two actions counts once for each.",
			"action", "outcome"),
		RemediationLatency: f.histogram("ccm_remediation_latency_seconds",
			"Time from a failure's detection to ccm's remediation having acted.", latency),
		TimeToResolution: f.histogramVec("ccm_time_to_resolution_seconds",
			"Time from a failure's detection to its remediation being verified (success) or given up (failure).",
			prometheus.ExponentialBuckets(1, 2, 16), "outcome"), // 1 s .. ~9 h
	}
}

type factory struct{ reg prometheus.Registerer }

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f factory) gauge(name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	f.reg.MustRegister(g)
	return g
}

func (f factory) gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(g)
	return g
}

func (f factory) histogram(name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
	f.reg.MustRegister(h)
	return h
}

func (f factory) histogramVec(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	f.reg.MustRegister(h)
	return h
}
