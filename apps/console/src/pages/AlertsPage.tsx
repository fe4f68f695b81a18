import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { type Permissions } from '../App';
import { Filters, FilterSelect } from '../components/Filters';
import { graphql, type ResultOf } from '../graphql';
import { errorText } from '../view/errors';
import { evidencePairs } from '../view/evidence';

const AlertsQuery = graphql(`
  query Alerts($status: AlertStatus, $rule: String) {
    alerts(status: $status, rule: $rule, orderBy: PRIORITY, first: 100) {
      edges {
        node {
          id
          rule
          score
          status
          sourceSystem
          txnId
          account
          bookedAt
          runId
          evidenceJson
          statusReason
          statusChangedBy
          createdAt
        }
      }
      pageInfo {
        hasNextPage
      }
    }
  }
`);
const EscalateMutation = graphql(`
  mutation Escalate($id: ID!, $reason: String!) {
    escalateAlert(id: $id, reason: $reason) {
      id
      status
    }
  }
`);
const CloseMutation = graphql(`
  mutation Close($id: ID!, $reason: String!) {
    closeAlert(id: $id, reason: $reason) {
      id
      status
    }
  }
`);
type Alert = ResultOf<typeof AlertsQuery>['alerts']['edges'][number]['node'];
type Status = 'OPEN' | 'ESCALATED' | 'CLOSED';
const RULES = [
  'LARGE_TRANSACTION',
  'STRUCTURING',
  'VELOCITY',
  'ROUND_AMOUNT',
  'RAPID_MOVEMENT',
  'HIGH_RISK_JURISDICTION',
  'SANCTIONS',
  'KYC',
];

/** AML, sanctions and KYC alerts as a work queue: highest score first, evidence masked by role, escalate or close with a reason. */
export function AlertsPage({ permissions }: { permissions: Permissions }) {
  const [status, setStatus] = useState<Status | ''>('OPEN');
  const [rule, setRule] = useState('');
  const [{ data, error }, refresh] = useQuery({
    query: AlertsQuery,
    variables: { status: status || null, rule: rule || null },
  });
  const [open, setOpen] = useState<Alert | undefined>();
  // the engine orders the queue: highest score first over every alert that matches, then newest first
  const alerts = (data?.alerts.edges ?? []).map((e) => e.node);
  return (
    <section aria-labelledby="alerts-title">
      <h1 id="alerts-title">Alerts</h1>
      <Filters label="Filter alerts">
        <FilterSelect<Status | ''>
          id="alerts-status"
          label="Status"
          value={status}
          options={[
            ['OPEN', 'open'],
            ['ESCALATED', 'escalated'],
            ['CLOSED', 'closed'],
            ['', 'all'],
          ]}
          onChange={setStatus}
        />
        <FilterSelect
          id="alerts-rule"
          label="Rule"
          value={rule}
          options={[['', 'all rules'], ...RULES.map((r) => [r, r] as const)]}
          onChange={setRule}
        />
      </Filters>
      {error ? (
        <p role="alert" className="error">
          Could not load alerts: {errorText(error.message)}
        </p>
      ) : null}
      {open ? (
        <AlertCase
          alert={open}
          permissions={permissions}
          onClose={() => setOpen(undefined)}
          onDone={(next) => {
            setOpen({ ...open, status: next });
            refresh({ requestPolicy: 'network-only' });
          }}
        />
      ) : null}
      <table>
        <caption className="sr-only">Alerts, highest score first</caption>
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col" className="num">
              Score
            </th>
            <th scope="col">Account</th>
            <th scope="col">Transaction</th>
            <th scope="col">Booked</th>
            <th scope="col">Status</th>
            <th scope="col">Case</th>
          </tr>
        </thead>
        <tbody>
          {alerts.map((a) => (
            <tr key={a.id}>
              <td>
                <code>{a.rule}</code>
              </td>
              <td className="num">{a.score}</td>
              <td>{a.account}</td>
              <td>
                {a.sourceSystem}/{a.txnId}
              </td>
              <td>{a.bookedAt ? new Date(a.bookedAt).toLocaleDateString() : ''}</td>
              <td>{a.status.toLowerCase()}</td>
              <td>
                <button type="button" onClick={() => setOpen(a)} aria-label={`Open alert ${a.id}`}>
                  Open
                </button>
              </td>
            </tr>
          ))}
          {data && alerts.length === 0 ? (
            <tr>
              <td colSpan={7} className="empty">
                No alerts match.
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
      {data?.alerts.pageInfo.hasNextPage ? (
        <p className="note" data-testid="alerts-more">
          The {alerts.length} alerts of highest priority are shown; more match these filters. Work these, or narrow the
          filters by rule.
        </p>
      ) : null}
    </section>
  );
}

function AlertCase({
  alert,
  permissions,
  onClose,
  onDone,
}: {
  alert: Alert;
  permissions: Permissions;
  onClose: () => void;
  onDone: (status: Status) => void;
}) {
  const [reason, setReason] = useState('');
  const [said, setSaid] = useState<{ ok: boolean; text: string } | undefined>();
  const [escalateState, escalate] = useMutation(EscalateMutation);
  const [closeState, close] = useMutation(CloseMutation);
  const busy = escalateState.fetching || closeState.fetching;
  const act = async (what: 'escalate' | 'close') => {
    if (!reason.trim()) return setSaid({ ok: false, text: 'A reason is required.' });
    const r = what === 'escalate' ? await escalate({ id: alert.id, reason }) : await close({ id: alert.id, reason });
    setSaid(
      r.error
        ? { ok: false, text: errorText(r.error.message) }
        : { ok: true, text: what === 'escalate' ? 'Escalated.' : 'Closed.' },
    );
    if (!r.error) onDone(what === 'escalate' ? 'ESCALATED' : 'CLOSED');
  };
  const mayEscalate = permissions.may('Mutation.escalateAlert') && alert.status === 'OPEN';
  const mayClose = permissions.may('Mutation.closeAlert') && alert.status !== 'CLOSED';
  return (
    <section className="case" aria-labelledby="case-title">
      <h2 id="case-title">
        {alert.rule} · score {alert.score} <span className="muted">({alert.status.toLowerCase()})</span>
      </h2>
      <dl className="evidence">
        {evidencePairs(alert.evidenceJson).map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      {alert.statusReason ? (
        <p className="muted">
          {alert.statusChangedBy}: {alert.statusReason}
        </p>
      ) : null}
      {mayEscalate || mayClose ? (
        <div className="actions" role="group" aria-label="Decide this alert">
          <label className="grow">
            Reason (recorded with you as the actor)
            <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={2000} />
          </label>
          {mayEscalate ? (
            <button type="button" disabled={busy} onClick={() => void act('escalate')}>
              Escalate
            </button>
          ) : null}
          {mayClose ? (
            <button type="button" disabled={busy} onClick={() => void act('close')}>
              Close
            </button>
          ) : null}
        </div>
      ) : null}
      <div aria-live="polite">{said ? <p className={said.ok ? 'ok' : 'error'}>{said.text}</p> : null}</div>
      <button type="button" onClick={onClose}>
        Back to the queue
      </button>
    </section>
  );
}
