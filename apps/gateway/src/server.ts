// The gateway server: one gRPC channel to the engine, one Apollo Server, one node:http server.
// `startGateway` resolves once the port is bound; `stop()` drains HTTP, stops Apollo, closes gRPC.
import { type AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  createAuditServiceClient,
  createComplianceServiceClient,
  createDeadLetterServiceClient,
  createJobServiceClient,
  createOpsServiceClient,
  engineClientOptions,
  createHealthClient,
} from '@strongroom/contract';
import { type Breaker, BreakerRegistry, ENGINE_CLIENT_POLICY } from '@strongroom/resilience';
import { type Logger } from '@strongroom/logging';
import { type JwksSource, openJwksSource } from '@strongroom/auth';
import { apolloLogger, errorLoggingPlugin, hardeningPlugins } from './apollo-plugins';
import { gatewayMetricsPlugin } from './gateway-metrics';
import { createMetricsRegistry, startMetricsServer } from '@strongroom/metrics';
import { type GatewayConfig } from './config';
import { formatGatewayError } from './errors/format-error';
import { queryLimitRules } from './graphql/limits';
import { RateLimiter } from './auth/rate-limit';
import { createResolvers } from './graphql/resolvers';
import { typeDefs } from './graphql/schema';
import { GRAPHQL_PATH, createRequestHandler } from './http-handler';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { type ContextDeps, type GatewayContext } from './context';
import { DenialReporter } from './auth/denial-report';
import { startGraphqlWs } from './ws-server';
import { consoleSite } from './console-site';

export interface RunningGateway {
  /** http://host:port/graphql */
  readonly url: string;
  /** The bound port (the real one when the config asked for 0). */
  readonly port: number;
  /** http://host:port/metrics of the Prometheus endpoint, or null when off. */
  readonly metricsUrl: string | null;
  /** Graceful stop: refuses new connections, lets requests in flight finish (up to 10 s), closes gRPC. */
  stop(): Promise<void>;
}

/** How long in-flight HTTP requests may take to finish on stop before their connections are cut. */
const STOP_GRACE_MS = 10_000;

function urlFor(host: string, port: number): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}${GRAPHQL_PATH}`;
}

export async function startGateway(config: GatewayConfig, logger: Logger): Promise<RunningGateway> {
  const log = logger.child({ component: 'gateway' });
  // TLS (and mutual TLS) to the engine when configured; plaintext only for a loopback engine
  const target = engineClientOptions(config.engineAddress, config.engineTls);
  const client = createJobServiceClient(target);
  const ops = createOpsServiceClient(target);
  const health = createHealthClient(target);
  const clients = {
    deadLetters: createDeadLetterServiceClient(target),
    audit: createAuditServiceClient(target),
    ops,
    compliance: createComplianceServiceClient(target),
  };
  const closeClients = () => {
    client.close();
    clients.deadLetters.close();
    clients.audit.close();
    clients.compliance.close();
    ops.close();
    health.close();
  };
  // the engine is a dependency like any other: behind a breaker; transitions are logged
  const breakers = new BreakerRegistry();
  breakers.onTransition((t) =>
    log.warn(`breaker:${t.to.toLowerCase()}`, { breaker: t.name, from: t.from, failures: t.failures }),
  );
  const registry = createMetricsRegistry('gateway');
  const httpServer = createServer();
  // Bound slow clients: headers within 10 s, a whole request within 60 s.
  httpServer.headersTimeout = 10_000;
  httpServer.requestTimeout = 60_000;

  const schema = makeExecutableSchema({ typeDefs, resolvers: createResolvers() });
  // live progress: graphql-ws on the same port and path, with the same protections as HTTP
  let contextDeps: ContextDeps | undefined;
  const wsCleanup = startGraphqlWs({
    httpServer,
    path: GRAPHQL_PATH,
    schema,
    production: config.production,
    maxPayloadBytes: config.maxBodyBytes,
    queryLimits: config.queryLimits,
    maxSubscriptionsPerConnection: config.ws.maxSubscriptionsPerConnection,
    maxSubscriptionsPerSubject: config.ws.maxSubscriptionsPerSubject,
    context: () => contextDeps,
    logger,
  });
  // the gateway's own refusals, reported to the engine for the audit chain
  const denials = new DenialReporter({
    ops,
    logger: log,
    intervalSeconds: config.denials.reportSeconds,
    deadlineMs: config.engineDeadlineMs,
    serviceTokenFile: config.denials.serviceTokenFile,
    devSecret: config.production ? undefined : config.jwtSecret,
  });

  const apollo = new ApolloServer<GatewayContext>({
    schema,
    introspection: !config.production,
    csrfPrevention: true,
    // attack queries are refused in validation, before any resolver runs (OWASP GraphQL cheat sheet)
    validationRules: queryLimitRules(config.queryLimits),
    parseOptions: { maxTokens: config.queryLimits.maxTokens },
    allowBatchedHttpRequests: false,
    formatError: formatGatewayError,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: config.production,
    nodeEnv: config.production ? 'production' : 'development',
    stopOnTerminationSignals: false,
    logger: apolloLogger(logger),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: STOP_GRACE_MS }),
      { serverWillStart: async () => ({ drainServer: async () => wsCleanup.dispose() }) },
      errorLoggingPlugin(),
      gatewayMetricsPlugin(registry, breakers),
      ...hardeningPlugins(),
    ],
  });

  let jwks: JwksSource | undefined;
  try {
    jwks = config.authEnabled ? await openJwksSource(config.jwks, log) : undefined;
    await apollo.start();
    contextDeps = {
      client,
      clients,
      breaker: breakers.get(ENGINE_CLIENT_POLICY),
      auth: {
        authEnabled: config.authEnabled,
        jwtSecret: config.jwtSecret,
        ...(jwks ? { jwks: jwks.keys } : {}),
        ...(config.jwks.issuer ? { issuer: config.jwks.issuer } : {}),
        ...(config.jwks.audience ? { audience: config.jwks.audience } : {}),
        maxTokenLifetimeSeconds: config.maxTokenLifetimeSeconds,
      },
      engineDeadlineMs: config.engineDeadlineMs,
      logger,
      rateLimiter: new RateLimiter(config.rateLimitPerMinute),
      unauthenticatedLimiter: new RateLimiter(config.unauthenticatedRateLimitPerMinute),
      denials,
    };
    denials.start();
    httpServer.on(
      'request',
      createRequestHandler({
        apollo,
        context: contextDeps,
        maxBodyBytes: config.maxBodyBytes,
        logger,
        health: () => engineHealth(health, breakers.get(ENGINE_CLIENT_POLICY)),
        ...(config.consoleDir ? { console: consoleSite(config.consoleDir, config.consoleOidc) } : {}),
      }),
    );
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen({ host: config.host, port: config.port }, () => {
        httpServer.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await apollo.stop().catch(() => undefined);
    if (httpServer.listening) httpServer.close();
    closeClients();
    jwks?.stop();
    breakers.shutdown();
    throw err;
  }

  const port = (httpServer.address() as AddressInfo).port;
  const url = urlFor(config.host, port);
  const metricsServer = config.metrics
    ? await startMetricsServer(registry, config.metrics.host, config.metrics.port).catch(async (err: unknown) => {
        await apollo.stop().catch(() => undefined);
        closeClients();
        jwks?.stop();
        breakers.shutdown();
        throw err;
      })
    : null;
  if (metricsServer) log.info('metrics:listening', { address: metricsServer.address });
  log.info('gateway:started', { url, engine: config.engineAddress, auth: config.authEnabled ? 'on' : 'off' });

  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    metricsUrl: metricsServer ? `http://${metricsServer.address}/metrics` : null,
    stop: () => {
      stopping ??= (async () => {
        log.info('gateway:stopping');
        try {
          await metricsServer?.close();
          await apollo.stop();
          await denials.stop(); // the last refusals, after the last request
        } finally {
          closeClients();
          jwks?.stop();
          breakers.shutdown();
        }
        log.info('gateway:stopped');
      })();
      return stopping;
    },
  };
}

/**
 * Gateway health for load balancers: asks the engine's gRPC health service (1 s deadline, through the
 * engine breaker, so a dead or frozen engine is reported at once as degraded rather than hanging the
 * probe). The engine answers NOT_SERVING while its database breaker is not closed; the health service
 * needs no credentials, so the probe carries none.
 */
async function engineHealth(
  health: { serving(deadlineMs: number): Promise<boolean> },
  breaker: Breaker,
): Promise<{ status: 'ok' | 'degraded'; engine: string }> {
  try {
    const serving = await breaker.call(async () => {
      if (!(await health.serving(1000))) throw new Error('engine not serving');
      return true;
    });
    return { status: serving ? 'ok' : 'degraded', engine: 'serving' };
  } catch {
    return { status: 'degraded', engine: breaker.state === 'OPEN' ? 'unavailable (breaker open)' : 'not serving' };
  }
}
