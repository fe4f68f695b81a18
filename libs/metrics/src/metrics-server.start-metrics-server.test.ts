import { Counter, createMetricsRegistry, startMetricsServer } from './index';

describe('startMetricsServer', () => {
  it('serves the registry in Prometheus text format on GET /metrics and nothing else', async () => {
    const registry = createMetricsRegistry('test');
    const c = new Counter({ name: 'strongroom_test_things_total', help: 'things', registers: [registry] });
    c.inc(3);
    const server = await startMetricsServer(registry, '127.0.0.1', 0);
    try {
      const res = await fetch(`http://${server.address}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const body = await res.text();
      expect(body).toMatch(/^strongroom_test_things_total\{service="test"\} 3$/m);
      expect(body).toMatch(/^nodejs_eventloop_lag_seconds\{service="test"\} /m);
      expect(body).toMatch(/^nodejs_heap_size_used_bytes\{service="test"\} /m);
      expect((await fetch(`http://${server.address}/other`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
