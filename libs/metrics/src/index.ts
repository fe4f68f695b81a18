// Public API of @strongroom/metrics: a Prometheus registry per service and the /metrics endpoint.
export { createMetricsRegistry, registerBreakerStates, startMetricsServer, type MetricsServer } from './metrics-server';
export { Counter, Gauge, Histogram, type Registry } from 'prom-client';
