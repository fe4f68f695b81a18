import { useState } from 'react';
import { useQuery } from 'urql';
import { type Permissions } from '../App';
import { graphql } from '../graphql';
import { errorText } from '../view/errors';
import { fmt } from '../view/runs';

const EntriesQuery = graphql(`
  query AuditEntries($action: String) {
    auditEntries(action: $action, first: 50) {
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
      {permissions.may('Query.auditVerification') ? <Verify /> : null}
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

function Verify() {
  const [asked, setAsked] = useState(false);
  const [{ data, error, fetching }, verify] = useQuery({
    query: VerifyQuery,
    pause: !asked,
    requestPolicy: 'network-only',
  });
  const v = data?.auditVerification;
  return (
    <section aria-labelledby="verify-title">
      <h2 id="verify-title">The audit chain</h2>
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
  const [{ data, error }] = useQuery({ query: EntriesQuery, variables: { action: action || null } });
  return (
    <section aria-labelledby="entries-title">
      <h2 id="entries-title">Entries, in chain order</h2>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter audit entries">
        <label>
          Action
          <input
            id="audit-action"
            aria-label="Action"
            placeholder="e.g. run:requested"
            value={action}
            onChange={(e) => setAction(e.target.value.trim())}
          />
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
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
