// The one GraphQL client of the console: queries and mutations over HTTP, live progress over graphql-ws,
// both to the gateway this page came from, with the signed-in person's bearer token.
import { cacheExchange, Client, fetchExchange, subscriptionExchange } from '@urql/core';
import { createClient as createWsClient } from 'graphql-ws';

export function createGatewayClient(token: string, origin: URL): { client: Client; close: () => void } {
  const ws = createWsClient({
    url: `${origin.protocol === 'https:' ? 'wss' : 'ws'}://${origin.host}/graphql`,
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: true,
    retryAttempts: 3,
  });
  const client = new Client({
    url: new URL('/graphql', origin).toString(),
    requestPolicy: 'cache-and-network',
    // POST only: the gateway refuses a GET without a preflight header (CSRF prevention), and a GET would put
    // the query in URLs and logs
    preferGetMethod: false,
    fetchOptions: () => ({ headers: { authorization: `Bearer ${token}` } }),
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
    ],
  });
  return { client, close: () => void ws.dispose() };
}
