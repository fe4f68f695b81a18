// The HTTP edge in front of Apollo, on node:http only: a bounded JSON body reader (1 MiB by default,
// where Apollo's standalone server accepts 50 MB), the correlation id on every response, and the
// hand-off to `executeHTTPGraphQLRequest`. POST/GET /graphql, GET /healthz, and the operator console's
// static files at every other path (console-site.ts).
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type ApolloServer, HeaderMap } from '@apollo/server';
import { type Logger } from '@strongroom/logging';
import { type ContextDeps, type GatewayContext, buildContext, correlationIdFrom } from './context';
import { GatewayError } from './errors/gateway-error';

export const GRAPHQL_PATH = '/graphql';

export interface HandlerDeps {
  readonly apollo: ApolloServer<GatewayContext>;
  readonly context: ContextDeps;
  readonly maxBodyBytes: number;
  readonly logger: Logger;
  /** Backs GET /healthz (no auth, statuses only): never hangs, answers `degraded` when the engine does not. */
  readonly health?: () => Promise<{ status: 'ok' | 'degraded'; [detail: string]: unknown }>;
  /** The operator console's files (GET at any other path); false when a path is not the console's. */
  readonly console?: (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<boolean>;
}

export const HEALTH_PATH = '/healthz';

/** A request the HTTP layer refuses before GraphQL sees it. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sendJsonError(res: ServerResponse, status: number, message: string, close = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  if (close) res.setHeader('connection', 'close');
  res.end(JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] }));
}

function isJson(contentType: string | undefined): boolean {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  return mediaType === 'application/json';
}

/** Reads and parses a JSON body of at most `limit` bytes (UTF-8 only, as RFC 8259 requires). */
async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    throw new HttpError(415, 'content-encoding is not supported');
  }
  const charset = /;\s*charset=("?)([^";]+)\1/i.exec(req.headers['content-type'] ?? '')?.[2];
  if (charset !== undefined && charset.toLowerCase() !== 'utf-8')
    throw new HttpError(415, 'only UTF-8 bodies are accepted');
  const tooLarge = () => new HttpError(413, `request body exceeds ${limit} bytes`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();

  const raw = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      // Stop buffering but keep the stream flowing (discarding) so the 413 can still be written;
      // the response carries `connection: close`, which ends the socket after it.
      cleanup();
      req.on('error', () => undefined);
      req.resume();
      reject(tooLarge());
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new HttpError(400, 'request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}

async function writeResponse(
  res: ServerResponse,
  response: Awaited<ReturnType<ApolloServer<GatewayContext>['executeHTTPGraphQLRequest']>>,
): Promise<void> {
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

/** The `request` listener of the gateway's http.Server. Never throws; never leaks internals. */
export function createRequestHandler(deps: HandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const log = deps.logger.child({ component: 'http' });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const correlationId = correlationIdFrom(req.headers['x-correlation-id']);
    res.setHeader('x-correlation-id', correlationId);
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    if (url.pathname === HEALTH_PATH && deps.health) {
      const h = await deps.health();
      res.statusCode = h.status === 'ok' ? 200 : 503;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(JSON.stringify(h));
      return;
    }
    if (url.pathname !== GRAPHQL_PATH) {
      if (deps.console && (await deps.console(req, res, url.pathname))) return;
      sendJsonError(res, 404, `not found; the GraphQL endpoint is ${GRAPHQL_PATH}`);
      return;
    }
    const method = (req.method ?? 'GET').toUpperCase();
    if (
      method === 'GET' &&
      !url.searchParams.has('query') &&
      deps.console &&
      (req.headers.accept ?? '').includes('text/html')
    ) {
      // a person opening the endpoint in a browser: the console's bundled explorer is the page for people
      res.statusCode = 302;
      res.setHeader('location', '/explorer');
      res.end();
      return;
    }
    let body: unknown;
    if (method === 'POST' && isJson(req.headers['content-type'])) {
      try {
        body = await readJsonBody(req, deps.maxBodyBytes);
      } catch (err) {
        const refusal = err instanceof HttpError ? err : new HttpError(400, 'request body could not be read');
        if (!(err instanceof HttpError)) log.debug('http:aborted', { correlationId, error: String(err) });
        sendJsonError(res, refusal.status, refusal.message, refusal.status === 413);
        return;
      }
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const response = await deps.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method, headers, search: url.search, body },
      context: async () => {
        try {
          return await buildContext(deps.context, {
            correlationId,
            authorization: req.headers.authorization,
            clientAddress: req.socket.remoteAddress,
            transport: 'graphql',
          });
        } catch (err) {
          // refusals are logged (warn) and audited where they are made; anything else is a fault
          if (!(err instanceof GatewayError)) log.error('context:failed', { correlationId, error: String(err) });
          throw err;
        }
      },
    });
    await writeResponse(res, response);
  }

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      const correlationId = res.getHeader('x-correlation-id');
      log.error('http:failed', {
        correlationId,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
      sendJsonError(res, 500, 'internal error');
    });
  };
}
