//! A client for a real Grafana Loki over HTTP.
