// graphql-ws on the GraphQL path (live progress), with the same protections as HTTP: authentication at
// connect (4403, counted per address like HTTP 401s), every operation through the per-subject rate limit,
// the token and query limits, no introspection in production, and a cap on live subscriptions per
// connection and per subject.
import { type Server } from 'node:http';
import {
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { type Logger } from '@strongroom/logging';
import { buildContext, correlationIdFrom, type ContextDeps, type GatewayContext } from './context';
import { formatGatewayError } from './errors/format-error';
import { GatewayError } from './errors/gateway-error';
import { queryLimitRules, type QueryLimits } from './graphql/limits';

export interface WsOptions {
  httpServer: Server;
  path: string;
  schema: GraphQLSchema;
  production: boolean;
  maxPayloadBytes: number;
  queryLimits: QueryLimits & { maxTokens: number };
  maxSubscriptionsPerConnection: number;
  maxSubscriptionsPerSubject: number;
  /** Set once the gateway has started (auth settings, limiters, engine clients). */
  context: () => ContextDeps | undefined;
  logger: Logger;
}

type Extra = {
  ctx?: GatewayContext;
  /** ids of this connection's live subscriptions */
  subscriptions?: Set<string>;
};

const limited = (message: string) => [new GatewayError('RATE_LIMITED', message, { retryable: true })];
const parseFailed = (message: string) => [new GraphQLError(message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];

/** Starts graphql-ws on `path`; returns its disposer (for the HTTP server's drain). */
export function startGraphqlWs(o: WsOptions): { dispose(): void | Promise<void> } {
  const wsServer = new WebSocketServer({ server: o.httpServer, path: o.path, maxPayload: o.maxPayloadBytes });
  const rules: ValidationRule[] = [
    ...specifiedRules,
    ...queryLimitRules(o.queryLimits),
    ...(o.production ? [NoSchemaIntrospectionCustomRule] : []),
  ];
  const liveBySubject = new Map<string, number>();
  const release = (extra: Extra, id: string) => {
    if (!extra.subscriptions?.delete(id) || !extra.ctx) return;
    const sub = extra.ctx.actor.sub;
    const n = (liveBySubject.get(sub) ?? 1) - 1;
    if (n > 0) liveBySubject.set(sub, n);
    else liveBySubject.delete(sub);
  };
  const log = o.logger.child({ component: 'graphql-ws' });

  return useServer<Record<string, unknown>, Extra>(
    {
      schema: o.schema,
      onConnect: async (ctx) => {
        const deps = o.context();
        if (!deps) return false;
        try {
          const authorization =
            typeof ctx.connectionParams?.['authorization'] === 'string'
              ? (ctx.connectionParams['authorization'] as string)
              : undefined;
          ctx.extra.ctx = await buildContext(deps, {
            correlationId: correlationIdFrom(undefined),
            authorization,
            clientAddress: ctx.extra.request.socket.remoteAddress,
            transport: 'graphql-ws',
          });
          ctx.extra.subscriptions = new Set();
          return true;
        } catch (err) {
          if (!(err instanceof GatewayError)) log.error('ws:connect-failed', { error: String(err) });
          return false; // closes with 4403 Forbidden: no token, a bad one, or over a rate limit
        }
      },
      onSubscribe: (ctx, id, payload) => {
        const gctx = ctx.extra.ctx;
        const deps = o.context();
        if (!gctx || !deps) return [new GatewayError('UNAUTHENTICATED', 'not connected')];
        // every operation counts against the subject's rate, as an HTTP request does
        try {
          deps.rateLimiter?.take(gctx.actor.sub);
        } catch (err) {
          return limited((err as Error).message);
        }
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: o.queryLimits.maxTokens });
        } catch (err) {
          return parseFailed((err as Error).message);
        }
        const errors = validate(o.schema, document, rules);
        if (errors.length)
          return errors.map(
            (e) =>
              new GraphQLError(e.message, {
                extensions: { ...e.extensions, code: 'GRAPHQL_VALIDATION_FAILED' },
              }),
          );
        const subscription = document.definitions.some(
          (d) => d.kind === 'OperationDefinition' && d.operation === 'subscription',
        );
        if (subscription) {
          const mine = ctx.extra.subscriptions as Set<string>;
          const sub = gctx.actor.sub;
          if (mine.size >= o.maxSubscriptionsPerConnection)
            return limited(
              `at most ${o.maxSubscriptionsPerConnection} live subscriptions per connection; complete one first`,
            );
          if ((liveBySubject.get(sub) ?? 0) >= o.maxSubscriptionsPerSubject)
            return limited(
              `at most ${o.maxSubscriptionsPerSubject} live subscriptions per subject; complete one first`,
            );
          mine.add(id);
          liveBySubject.set(sub, (liveBySubject.get(sub) ?? 0) + 1);
        }
        return {
          schema: o.schema,
          document,
          variableValues: payload.variables ?? undefined,
          operationName: payload.operationName ?? undefined,
          contextValue: gctx,
        };
      },
      onComplete: (ctx, id) => release(ctx.extra, id),
      onClose: (ctx) => {
        for (const id of [...(ctx.extra.subscriptions ?? [])]) release(ctx.extra, id);
      },
      onError: (_ctx, _id, _payload, errors) =>
        errors.map(
          (e) =>
            new GraphQLError(formatGatewayError(e.toJSON(), e).message, {
              extensions: formatGatewayError(e.toJSON(), e).extensions ?? {},
            }),
        ),
    },
    wsServer,
  );
}
