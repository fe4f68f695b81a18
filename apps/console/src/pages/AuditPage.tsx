import { useEffect, useState } from 'react';
import { useQuery } from 'urql';
import { type Permissions } from '../App';
import { graphql } from '../graphql';
import { errorText } from '../view/errors';
import { fmt } from '../view/runs';

const EntriesQuery = graphql(`
  query AuditEntries($action: String, $newestFirst: Boolean, $after: String) {
    auditEntries(action: $action, first: 50, newestFirst: $newestFirst, after: $after) {
      edges {
        node {
          seq
          occurredAt
          actor
          action
          subjectJson
          detailsJson
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);
const ChainQuery = graphql(`
  query AuditChain {
    auditChain {
      entries
      headHash
      headAt
      lastCheckpoint {
        seq
        signedAt
        keyId
      }
      lastVerification {
        verifiedAt
        actor
        ok
        entries
        trustedThroughSeq
        firstBadSeq
        kind
      }
    }
  }
`);
const VerifyQuery = graphql(`
  query VerifyChain {
    auditVerification {
      ok
      entries
      firstBadSeq
      kind
      message
    }
  }
`);
const BreakersQuery = graphql(`
  query Breakers {
    breakers {
      name
      state
      lastTransitionAt
      failureCount
    }
  }
`);

/** The audit chain (verify now, the newest entries) for auditors and admins, and the engine's health for everyone. */
export function AuditPage({ permissions }: { permissions: Permissions }) {
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit and health</h1>
      <Health />
      {permissions.may('Query.auditVerification') ? (
        <Verify mayReadChain={permissions.may('Query.auditChain')} />
      ) : null}
      {permissions.may('Query.auditEntries') ? <Entries /> : null}
    </section>
  );
}

function Health() {
  const [{ data, error }] = useQuery({ query: BreakersQuery, requestPolicy: 'network-only' });
  return (
    <section aria-labelledby="health-title">
      <h2 id="health-title">Engine health (circuit breakers)</h2>
      {error ? (
        <p role="alert" className="error">
          The engine does not answer: {errorText(error.message)}
        </p>
      ) : null}
      <table>
        <thead>
          <tr>
            <th scope="col">Dependency</th>
            <th scope="col">State</th>
            <th scope="col" className="num">
              Failures
            </th>
            <th scope="col">Since</th>
          </tr>
        </thead>
        <tbody>
          {(data?.breakers ?? []).map((b) => (
            <tr key={b.name}>
              <td>{b.name}</td>
              <td className={b.state === 'CLOSED' ? 'ok' : 'error'}>{b.state.toLowerCase()}</td>
              <td className="num">{b.failureCount}</td>
              <td>{b.lastTransitionAt ? new Date(b.lastTransitionAt).toLocaleString() : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

const when = (t: unknown) => (t ? new Date(String(t)).toLocaleString() : '—');

/** The chain at a glance: its head, its latest signed checkpoint and its latest verification (by whom). */
function ChainStatus({ version }: { version: number }) {
  const [{ data, error }, refetch] = useQuery({ query: ChainQuery, requestPolicy: 'network-only' });
  useEffect(() => {
    if (version) refetch({ requestPolicy: 'network-only' });
  }, [version, refetch]);
  if (error)
    return (
      <p role="alert" className="error">
        {errorText(error.message)}
      </p>
    );
  const c = data?.auditChain;
  if (!c) return null;
  const v = c.lastVerification;
  return (
    <dl className="chain">
      <dt>Entries</dt>
      <dd>
        {fmt(c.entries)}
        {c.headHash ? (
          <>
            {' '}
            — head <code title={c.headHash}>{c.headHash.slice(0, 16)}…</code>, written {when(c.headAt)}
          </>
        ) : null}
      </dd>
      <dt>Last signed checkpoint</dt>
      <dd data-testid="last-checkpoint">
        {c.lastCheckpoint
          ? `entry ${fmt(c.lastCheckpoint.seq)}, signed ${when(c.lastCheckpoint.signedAt)} with key ${c.lastCheckpoint.keyId}`
          : 'none signed yet'}
      </dd>
      <dt>Last verification</dt>
      <dd data-testid="last-verification" className={v ? (v.ok ? 'ok' : 'error') : undefined}>
        {v
          ? `${v.ok ? '✓' : `✗ ${v.kind ?? 'broken'} at entry ${v.firstBadSeq ?? '?'}`} ${when(v.verifiedAt)} by ${v.actor}: ${fmt(v.entries)} entries${v.trustedThroughSeq ? ` after the checkpoint at ${fmt(v.trustedThroughSeq)}` : ''}`
          : 'never verified'}
      </dd>
    </dl>
  );
}

function Verify({ mayReadChain }: { mayReadChain: boolean }) {
  const [asked, setAsked] = useState(false);
  const [{ data, error, fetching }, verify] = useQuery({
    query: VerifyQuery,
    pause: !asked,
    requestPolicy: 'network-only',
  });
  const v = data?.auditVerification;
  // each verification is recorded in the chain: read the chain's status again once one finished
  const [version, setVersion] = useState(0);
  useEffect(() => {
    if (data && !fetching) setVersion((n) => n + 1);
  }, [data, fetching]);
  return (
    <section aria-labelledby="verify-title">
      <h2 id="verify-title">The audit chain</h2>
      {mayReadChain ? <ChainStatus version={version} /> : null}
      <button
        type="button"
        disabled={fetching}
        onClick={() => {
          setAsked(true);
          if (asked) verify({ requestPolicy: 'network-only' });
        }}
      >
        Verify now
      </button>
      <div aria-live="polite">
        {fetching ? <p>Verifying every entry and the signed checkpoints…</p> : null}
        {error ? (
          <p role="alert" className="error">
            {errorText(error.message)}
          </p>
        ) : null}
        {v && !fetching ? (
          <p className={v.ok ? 'ok' : 'error'} data-testid="chain-verdict">
            {v.ok
              ? `✓ The chain verifies: ${fmt(v.entries)} entries.`
              : `✗ ${v.kind ?? 'broken'} at entry ${v.firstBadSeq ?? '?'}: ${v.message}`}
          </p>
        ) : null}
      </div>
    </section>
  );
}

function Entries() {
  const [action, setAction] = useState('');
  const [newestFirst, setNewestFirst] = useState(true);
  // the cursors of the pages before this one, to go back
  const [pages, setPages] = useState<string[]>([]);
  const after = pages[pages.length - 1] ?? null;
  const [{ data, error }] = useQuery({
    query: EntriesQuery,
    variables: { action: action || null, newestFirst, after },
  });
  const info = data?.auditEntries.pageInfo;
  return (
    <section aria-labelledby="entries-title">
      <h2 id="entries-title">Entries, {newestFirst ? 'newest first' : 'in chain order'}</h2>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter audit entries">
        <label>
          Action
          <input
            id="audit-action"
            aria-label="Action"
            placeholder="e.g. run:requested"
            value={action}
            onChange={(e) => {
              setAction(e.target.value.trim());
              setPages([]);
            }}
          />
        </label>
        <label>
          Order
          <select
            id="audit-order"
            value={newestFirst ? 'newest' : 'chain'}
            onChange={(e) => {
              setNewestFirst(e.target.value === 'newest');
              setPages([]);
            }}
          >
            <option value="newest">newest first</option>
            <option value="chain">chain order (oldest first)</option>
          </select>
        </label>
      </form>
      {error ? (
        <p role="alert" className="error">
          {errorText(error.message)}
        </p>
      ) : null}
      <table>
        <thead>
          <tr>
            <th scope="col" className="num">
              Seq
            </th>
            <th scope="col">When</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Subject</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {(data?.auditEntries.edges ?? []).map(({ node: e }) => (
            <tr key={e.seq}>
              <td className="num">{e.seq}</td>
              <td>{e.occurredAt ? new Date(e.occurredAt).toLocaleString() : ''}</td>
              <td>{e.actor}</td>
              <td>
                <code>{e.action}</code>
              </td>
              <td>
                <code className="raw">{e.subjectJson}</code>
              </td>
              <td>
                <code className="raw">{e.detailsJson}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <nav className="pager" aria-label="Pages of entries">
        <button type="button" disabled={!pages.length} onClick={() => setPages((p) => p.slice(0, -1))}>
          ← Previous page
        </button>
        <button
          type="button"
          disabled={!info?.hasNextPage || !info.endCursor}
          onClick={() => info?.endCursor && setPages((p) => [...p, info.endCursor as string])}
        >
          {newestFirst ? 'Older entries →' : 'Newer entries →'}
        </button>
      </nav>
    </section>
  );
}
