import { Client, type ClientConfig } from 'pg';

/**
 * A node-postgres Client that closes its connection when a statement has been in flight for
 * `timeoutMs` with no byte moving either way.
 *
 * Why: `statement_timeout` is enforced by the server, so it cannot help when the link itself is dead or
 * blackholed (packets vanish, nothing resets): the client would wait forever, holding a pool slot and
 * the run's batch. TCP keepalive does not catch it either when a proxy or load balancer keeps the TCP
 * session alive. Closing the socket makes every pending query on it fail with ETIMEDOUT (a connection
 * error: the postgres breaker counts it, the run stops at its last committed batch), and the pool drops
 * the client instead of reusing it.
 *
 * The clock counts silence, not total time: a COPY that keeps sending, or a long result that keeps
 * arriving, never trips it. A statement that legitimately runs long in silence must finish within the
 * timeout, so keep it above `statement_timeout` (the default is statement_timeout + 5 s): the server
 * then times out first and reports a precise SQLSTATE.
 */
export function linkWatchdogClient(timeoutMs: number): typeof Client {
  const tickMs = Math.max(50, Math.min(1000, Math.floor(timeoutMs / 4)));
  return class LinkWatchdogClient extends Client {
    constructor(config?: string | ClientConfig) {
      super(config);
      const self = this as unknown as PgClientInternals;
      let lastBytes = -1;
      let quietSince = Date.now();
      const timer = setInterval(() => {
        const stream = self.connection?.stream;
        if (!stream || stream.destroyed || self._ended) {
          if (stream?.destroyed || self._ended) clearInterval(timer);
          return;
        }
        const busy = Boolean(self._getActiveQuery?.()) || (self._queryQueue?.length ?? 0) > 0;
        const bytes = (stream.bytesRead ?? 0) + (stream.bytesWritten ?? 0);
        const now = Date.now();
        if (!busy || bytes !== lastBytes) {
          lastBytes = bytes;
          quietSince = now;
          return;
        }
        if (now - quietSince >= timeoutMs) {
          clearInterval(timer);
          const err = Object.assign(
            new Error(
              `the database sent nothing for ${timeoutMs} ms while a statement was in flight; connection closed (client timeout)`,
            ),
            {
              code: 'ETIMEDOUT',
            },
          );
          stream.destroy(err);
        }
      }, tickMs);
      timer.unref();
    }
  };
}

/** The parts of node-postgres' Client the watchdog reads (stable across pg 8.x, pinned by db tests). */
interface PgClientInternals {
  connection?: {
    stream?: { destroyed: boolean; bytesRead?: number; bytesWritten?: number; destroy(err?: Error): void };
  };
  _ended?: boolean;
  _getActiveQuery?: () => unknown;
  _queryQueue?: unknown[];
}
