import { randomUUID } from 'node:crypto';

/** A new correlation id; it travels GraphQL → gRPC metadata (`x-correlation-id`) → engine → logs. */
export function newCorrelationId(): string {
  return randomUUID();
}
