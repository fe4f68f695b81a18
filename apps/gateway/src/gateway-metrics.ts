// Prometheus series of the gateway (docs/observability.md): GraphQL requests by operation type and
// outcome, their latency, errors by code, and the engine breaker's state; plus the process metrics.
import { type ApolloServerPlugin } from '@apollo/server';
import { Counter, Histogram, registerBreakerStates, type Registry } from '@strongroom/metrics';
import { type BreakerRegistry } from '@strongroom/resilience';

export function gatewayMetricsPlugin(registry: Registry, breakers: BreakerRegistry): ApolloServerPlugin {
  const registers = [registry];
  const requests = new Counter({
    name: 'strongroom_gateway_requests_total',
    help: 'GraphQL requests by operation type (query, mutation, subscription, unknown) and outcome (ok, error)',
    labelNames: ['operation_type', 'outcome'],
    registers,
  });
  const seconds = new Histogram({
    name: 'strongroom_gateway_request_duration_seconds',
    help: 'Time from receiving a GraphQL request to sending its response',
    labelNames: ['operation_type'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const errors = new Counter({
    name: 'strongroom_gateway_errors_total',
    help: 'GraphQL errors sent, by extensions.code (docs/error-catalogue.md)',
    labelNames: ['code'],
    registers,
  });
  registerBreakerStates(registry, () => breakers.list());
  return {
    async requestDidStart() {
      const end = seconds.startTimer();
      let type = 'unknown';
      return {
        async didResolveOperation(ctx) {
          type = ctx.operation?.operation ?? 'unknown';
        },
        async willSendResponse(ctx) {
          const body = ctx.response.body;
          const sent = body.kind === 'single' ? (body.singleResult.errors ?? []) : [];
          for (const e of sent) errors.inc({ code: String(e.extensions?.['code'] ?? 'UNKNOWN') });
          requests.inc({ operation_type: type, outcome: sent.length || ctx.errors?.length ? 'error' : 'ok' });
          end({ operation_type: type });
        },
      };
    },
  };
}
