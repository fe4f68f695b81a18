// Apollo plugins and adapters: error logging (what formatError masks is logged here, with the
// correlation id), Apollo's own log lines routed to our logger, and Apollo's phone-home features
// switched off explicitly so that an APOLLO_KEY in the environment cannot send data anywhere.
import { type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { type Logger } from '@strongroom/logging';
import { type GatewayContext } from './context';
import { classifyError } from './errors/format-error';

function describeCause(cause: unknown, withStack: boolean): Record<string, unknown> {
  if (cause instanceof Error) {
    const grpcStatus = (cause as { code?: unknown }).code;
    return {
      cause: cause.message,
      ...(typeof grpcStatus === 'number' ? { grpcStatus } : {}),
      ...(withStack && cause.stack !== undefined ? { stack: cause.stack } : {}),
    };
  }
  return cause === undefined ? {} : { cause: String(cause) };
}

/**
 * Logs every error of an operation once: masked (unknown) errors at error level with the full
 * original, engine-side failures (timeouts, unavailability, internal) at warn, caller mistakes at
 * debug. The correlation id on the line is the one returned to the caller in `x-correlation-id`.
 */
export function errorLoggingPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue, operationName }) {
          const log = contextValue.logger.child({ component: 'graphql', operationName: operationName ?? undefined });
          for (const error of errors) {
            const c = classifyError(error);
            const path = error.path?.join('.');
            if (c.kind === 'unknown') {
              log.error('request:failed', { path, error: error.message, ...describeCause(c.error, true) });
            } else if (c.kind === 'gateway' && (c.error.retryable || c.error.code === 'INTERNAL_SERVER_ERROR')) {
              log.warn('engine:failed', {
                path,
                code: c.error.code,
                ...describeCause(c.error.cause, c.error.code === 'INTERNAL_SERVER_ERROR'),
              });
            } else {
              log.debug('request:rejected', {
                path,
                code: c.kind === 'gateway' ? c.error.code : c.code,
                error: error.message,
              });
            }
          }
        },
      };
    },
  };
}

/** Apollo's internal logger → ours (Apollo logs rarely: startup problems, plugin failures). */
export function apolloLogger(logger: Logger): {
  debug(message?: unknown): void;
  info(message?: unknown): void;
  warn(message?: unknown): void;
  error(message?: unknown): void;
} {
  const log = logger.child({ component: 'apollo' });
  return {
    debug: (m) => log.debug(String(m)),
    info: (m) => log.info(String(m)),
    warn: (m) => log.warn(String(m)),
    error: (m) => log.error(String(m)),
  };
}

/** Plugins that turn off Apollo's reporting to Apollo's cloud and choose the landing page. */
export function hardeningPlugins(): ApolloServerPlugin<GatewayContext>[] {
  return [
    ApolloServerPluginUsageReportingDisabled(),
    ApolloServerPluginSchemaReportingDisabled(),
    ApolloServerPluginInlineTraceDisabled(),
    // No landing page: Apollo's loads its sandbox from a CDN (nothing at all offline). A browser that opens
    // /graphql is sent to the operator console, served by this gateway from its own origin.
    ApolloServerPluginLandingPageDisabled(),
  ];
}
