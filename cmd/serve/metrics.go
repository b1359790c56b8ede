package main

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus metrics, on a registry of its own.
// Label values are bounded: model is a served model's name or "" (an
// unknown name a client sent is never a label), route one of the routes.
type metrics struct {
	registry  *prometheus.Registry
	requests  *prometheus.CounterVec   // model, route, status
	latency   *prometheus.HistogramVec // model, route
	batchRows *prometheus.HistogramVec // model
	tokens    *prometheus.CounterVec   // model: tokens generated
	inFlight  prometheus.Gauge
	streams   prometheus.Gauge
	reloads   *prometheus.CounterVec // result
	versions  *prometheus.GaugeVec   // model
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gornn_serve_requests_total", Help: "Requests answered, by model, route and HTTP status.",
		}, []string{"model", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "gornn_serve_request_duration_seconds", Help: "Time from a request's arrival to its answer, by model and route.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 18), // 100 µs .. 13 s
		}, []string{"model", "route"}),
		batchRows: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "gornn_serve_batch_rows", Help: "Rows (texts) of each batch the dynamic batcher ran, by model.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 11), // 1 .. 1024
		}, []string{"model"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gornn_serve_generated_tokens_total", Help: "Tokens generated, by model.",
		}, []string{"model"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gornn_serve_in_flight_requests", Help: "Calls (POST /v1/models/NAME:METHOD) being answered.",
		}),
		streams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gornn_serve_streams", Help: "Streamed answers (Server-Sent Events) open.",
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gornn_serve_reloads_total", Help: "Model directory loads on SIGHUP, by result (ok, failed).",
		}, []string{"result"}),
		versions: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gornn_serve_model_version", Help: "Version of each served model: 1 at start, one more at each successful reload.",
		}, []string{"model"}),
	}
	m.registry.MustRegister(m.requests, m.latency, m.batchRows, m.tokens, m.inFlight, m.streams, m.reloads, m.versions,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// handler serves the metrics in Prometheus' text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
