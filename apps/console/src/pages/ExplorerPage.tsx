// The GraphQL explorer: GraphiQL, bundled with the console (no CDN; it works offline and under the
// gateway's Content-Security-Policy), calling the gateway as the signed-in person. It is a page of its
// own chunk, loaded only when opened, so the console's other pages stay small. Every query and mutation
// passes the same role matrix and audit as any other client's.
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import { createClient as createWsClient } from 'graphql-ws';
import { useEffect, useMemo } from 'react';
import { explorerStorage } from '../session';

const FIRST_QUERY = `# The Strongroom GraphQL API, as the signed-in person may use it.
# Ctrl-Enter runs the query; Ctrl-Space completes; the docs are in the book icon on the left.
query LatestRuns {
  me {
    subject
    roles
  }
  runs(first: 5) {
    edges {
      node {
        id
        status
        jobName
        read
        loaded
        deadLettered
        filtered
      }
    }
  }
}
`;

export default function ExplorerPage({ token }: { token: string }) {
  const { fetcher, close } = useMemo(() => {
    const origin = new URL(window.location.href);
    const ws = createWsClient({
      url: `${origin.protocol === 'https:' ? 'wss' : 'ws'}://${origin.host}/graphql`,
      connectionParams: { authorization: `Bearer ${token}` },
      lazy: true,
      retryAttempts: 3,
    });
    return {
      fetcher: createGraphiQLFetcher({
        url: new URL('/graphql', origin).toString(),
        headers: { authorization: `Bearer ${token}` },
        wsClient: ws,
      }),
      close: () => void ws.dispose(),
    };
  }, [token]);
  useEffect(() => close, [close]);
  const storage = useMemo(() => explorerStorage(window.sessionStorage), []);
  return (
    <section className="explorer" aria-label="GraphQL explorer">
      {/* queries and history stay in this tab (session storage), like the token, and go at sign-out */}
      <GraphiQL fetcher={fetcher} defaultQuery={FIRST_QUERY} isHeadersEditorEnabled={false} storage={storage} />
    </section>
  );
}
