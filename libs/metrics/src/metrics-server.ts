import http from 'node:http';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * A Prometheus registry for one service: the process metrics every dashboard expects (CPU, resident
 * memory, heap, event-loop lag, GC, handles) plus whatever the service registers, each series labelled
 * with `service`.
 */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  return registry;
}

export interface MetricsServer {
  /** host:port actually bound. */
  address: string;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (Prometheus text format) on its own port, apart from the service's API, so it
 * can be bound to an internal interface and scraped without credentials. Any other path is 404.
 */
export async function startMetricsServer(registry: Registry, host: string, port: number): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: scrape GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (err: unknown) =>
        res
          .writeHead(500, { 'content-type': 'text/plain' })
          .end(`metrics collection failed: ${(err as Error).message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as { port: number };
  return {
    address: `${host}:${bound.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Circuit breaker states as a gauge: 0 closed, 1 half-open, 2 open, read from `list` at each scrape. */
export function registerBreakerStates(
  registry: Registry,
  list: () => readonly { name: string; state: 'CLOSED' | 'HALF_OPEN' | 'OPEN' }[],
): void {
  const value = { CLOSED: 0, HALF_OPEN: 1, OPEN: 2 } as const;
  new Gauge({
    name: 'strongroom_breaker_state',
    help: 'Circuit breaker state per dependency: 0 closed, 1 half-open, 2 open',
    labelNames: ['breaker'],
    registers: [registry],
    collect() {
      for (const b of list()) this.set({ breaker: b.name }, value[b.state]);
    },
  });
}
