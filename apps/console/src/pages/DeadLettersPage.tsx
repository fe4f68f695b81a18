import { type FormEvent, useMemo, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { type Permissions } from '../App';
import { Filters, FilterSelect } from '../components/Filters';
import { graphql, type ResultOf } from '../graphql';
import { follow } from '../router';
import { discardOutcome, replayOutcome, toggle, toggleAll } from '../view/dead-letters';
import { errorText } from '../view/errors';
import { fmt } from '../view/runs';

const DeadLettersQuery = graphql(`
  query DeadLetters($runId: ID, $status: DeadLetterStatus, $reasonCode: String) {
    deadLetters(runId: $runId, status: $status, reasonCode: $reasonCode, first: 100) {
      edges {
        node {
          id
          runId
          recordNo
          rawRecord
          reasonCode
          reasonMessage
          field
          attempts
          status
          resolution
        }
      }
      pageInfo {
        hasNextPage
      }
    }
  }
`);
/** Every dead letter in view counted by reason (the engine counts them all, not a page). */
export const ReasonCountsQuery = graphql(`
  query DeadLetterReasonCounts($runId: ID, $status: DeadLetterStatus) {
    deadLetterReasons(runId: $runId, status: $status) {
      total
      reasons {
        reasonCode
        count
      }
    }
  }
`);
const ReplayMutation = graphql(`
  mutation Replay($ids: [ID!], $corrections: [DeadLetterCorrectionInput!], $reason: String) {
    replayDeadLetters(ids: $ids, corrections: $corrections, reason: $reason) {
      loaded
      alreadyLoaded
      stillFailing
      skipped
      outcomes {
        id
        outcome
        reasonCode
        reasonMessage
      }
    }
  }
`);
const DiscardMutation = graphql(`
  mutation Discard($ids: [ID!]!, $reason: String!) {
    discardDeadLetters(ids: $ids, reason: $reason) {
      discarded
      skipped
    }
  }
`);
type Letter = ResultOf<typeof DeadLettersQuery>['deadLetters']['edges'][number]['node'];
type Status = 'PENDING' | 'REPLAYED' | 'DISCARDED';

/** Dead letters grouped by reason, with bulk replay or discard of a selection and a corrected replay of one. */
export function DeadLettersPage({ runId, permissions }: { runId?: string; permissions: Permissions }) {
  const [status, setStatus] = useState<Status | ''>('PENDING');
  const [reasonCode, setReasonCode] = useState('');
  const [{ data, error, fetching }, refresh] = useQuery({
    query: DeadLettersQuery,
    variables: { runId: runId ?? null, status: status || null, reasonCode: reasonCode || null },
    requestPolicy: 'cache-and-network',
  });
  // the reasons of everything in view (before the reason filter), counted, to choose from
  const [{ data: counts }, recount] = useQuery({
    query: ReasonCountsQuery,
    variables: { runId: runId ?? null, status: status || null },
    requestPolicy: 'cache-and-network',
  });
  const letters = useMemo(() => (data?.deadLetters.edges ?? []).map((e) => e.node), [data]);
  const reasons = counts?.deadLetterReasons.reasons ?? [];
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [reason, setReason] = useState('');
  const [done, setDone] = useState<string | undefined>();
  const [failed, setFailed] = useState<string | undefined>();
  const [correcting, setCorrecting] = useState<Letter | undefined>();
  const [replayState, replay] = useMutation(ReplayMutation);
  const [discardState, discard] = useMutation(DiscardMutation);
  const busy = replayState.fetching || discardState.fetching;
  const mayReplay = permissions.may('Mutation.replayDeadLetters');
  const mayDiscard = permissions.may('Mutation.discardDeadLetters');
  const ids = letters.map((l) => l.id).filter((id) => selected.has(id));

  const after = (message: string | undefined, err: { message: string } | undefined) => {
    setDone(err ? undefined : message);
    setFailed(err ? errorText(err.message) : undefined);
    if (!err) {
      setSelected(new Set());
      setCorrecting(undefined);
    }
    refresh({ requestPolicy: 'network-only' });
    recount({ requestPolicy: 'network-only' });
  };
  const doReplay = async () => {
    const r = await replay({ ids, reason: reason.trim() || null });
    after(r.data?.replayDeadLetters ? replayOutcome(r.data.replayDeadLetters) : undefined, r.error);
  };
  const doDiscard = async () => {
    if (!reason.trim()) return setFailed('Discarding needs a reason.');
    const r = await discard({ ids, reason: reason.trim() });
    after(r.data?.discardDeadLetters ? discardOutcome(r.data.discardDeadLetters) : undefined, r.error);
  };
  const doCorrect = async (letter: Letter, rawRecord: string) => {
    const r = await replay({
      ids: [letter.id],
      corrections: [{ id: letter.id, rawRecord }],
      reason: reason.trim() || null,
    });
    const outcome = r.data?.replayDeadLetters?.outcomes[0];
    after(
      r.data?.replayDeadLetters
        ? `${replayOutcome(r.data.replayDeadLetters)}${outcome?.outcome === 'STILL_FAILING' ? ` ${outcome.reasonCode}: ${outcome.reasonMessage}` : ''}`
        : undefined,
      r.error,
    );
  };

  return (
    <section aria-labelledby="dlq-page-title">
      <h1 id="dlq-page-title">Dead letters{runId ? ' of a run' : ''}</h1>
      {runId ? (
        <p>
          <a href={`/runs/${runId}`} onClick={(e) => follow(e, `/runs/${runId}`)}>
            ← the run
          </a>{' '}
          ·{' '}
          <a href="/dead-letters" onClick={(e) => follow(e, '/dead-letters')}>
            all runs
          </a>
        </p>
      ) : null}
      <Filters label="Filter dead letters">
        <FilterSelect<Status | ''>
          id="dlq-status"
          label="Status"
          value={status}
          options={[
            ['PENDING', 'pending'],
            ['REPLAYED', 'replayed'],
            ['DISCARDED', 'discarded'],
            ['', 'all'],
          ]}
          onChange={(v) => {
            setStatus(v);
            setSelected(new Set());
          }}
        />
        <FilterSelect
          id="dlq-reason"
          label="Reason"
          value={reasonCode}
          options={[
            ['', counts ? `all reasons (${fmt(counts.deadLetterReasons.total)})` : 'all reasons'],
            ...reasons.map((r) => [r.reasonCode, `${r.reasonCode} (${fmt(r.count)})`] as const),
          ]}
          onChange={(v) => {
            setReasonCode(v);
            setSelected(new Set());
          }}
        />
      </Filters>
      {error ? (
        <p role="alert" className="error">
          Could not load dead letters: {errorText(error.message)}
        </p>
      ) : null}
      {mayReplay || mayDiscard ? (
        <div className="actions" role="group" aria-label="Act on the selected dead letters">
          <label className="grow">
            Reason (recorded in the audit chain; required to discard)
            <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={2000} />
          </label>
          {mayReplay ? (
            <button type="button" disabled={busy || !ids.length} onClick={() => void doReplay()}>
              Replay selected ({ids.length})
            </button>
          ) : null}
          {mayDiscard ? (
            <button type="button" className="danger" disabled={busy || !ids.length} onClick={() => void doDiscard()}>
              Discard selected ({ids.length})
            </button>
          ) : null}
        </div>
      ) : null}
      <div aria-live="polite">
        {done ? <p className="ok">{done}</p> : null}
        {failed ? (
          <p role="alert" className="error">
            {failed}
          </p>
        ) : null}
      </div>
      {correcting ? (
        <Correction
          letter={correcting}
          busy={busy}
          onCancel={() => setCorrecting(undefined)}
          onSubmit={(raw) => void doCorrect(correcting, raw)}
        />
      ) : null}
      <table className="dead-letters" aria-busy={fetching && !data}>
        <caption className="sr-only">Dead letters</caption>
        <thead>
          <tr>
            {mayReplay || mayDiscard ? (
              <th scope="col">
                <input
                  type="checkbox"
                  aria-label="Select all shown"
                  checked={letters.length > 0 && letters.every((l) => selected.has(l.id))}
                  onChange={() =>
                    setSelected(
                      toggleAll(
                        selected,
                        letters.map((l) => l.id),
                      ),
                    )
                  }
                />
              </th>
            ) : null}
            <th scope="col">Reason</th>
            <th scope="col" className="num">
              Record
            </th>
            <th scope="col">Raw record (card numbers masked)</th>
            <th scope="col">Status</th>
            {mayReplay ? <th scope="col">Correct</th> : null}
          </tr>
        </thead>
        <tbody>
          {letters.map((l) => (
            <tr key={l.id}>
              {mayReplay || mayDiscard ? (
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Select dead letter ${l.id}`}
                    checked={selected.has(l.id)}
                    onChange={() => setSelected(toggle(selected, l.id))}
                  />
                </td>
              ) : null}
              <td>
                <code>{l.reasonCode}</code>
                <div className="muted small">{l.reasonMessage}</div>
              </td>
              <td className="num">{fmt(l.recordNo)}</td>
              <td>
                <code className="raw">{l.rawRecord}</code>
              </td>
              <td>
                {l.status.toLowerCase()}
                {l.resolution ? <div className="muted small">{l.resolution}</div> : null}
              </td>
              {mayReplay ? (
                <td>
                  {l.status === 'PENDING' ? (
                    <button type="button" onClick={() => setCorrecting(l)} aria-label={`Correct dead letter ${l.id}`}>
                      Correct…
                    </button>
                  ) : null}
                </td>
              ) : null}
            </tr>
          ))}
          {data && letters.length === 0 ? (
            <tr>
              <td colSpan={6} className="empty">
                No dead letters match.
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
      {data?.deadLetters.pageInfo.hasNextPage ? (
        <p className="muted">The first 100; narrow the filters to see others.</p>
      ) : null}
    </section>
  );
}

function Correction({
  letter,
  busy,
  onCancel,
  onSubmit,
}: {
  letter: Letter;
  busy: boolean;
  onCancel: () => void;
  onSubmit: (raw: string) => void;
}) {
  const [raw, setRaw] = useState(letter.rawRecord);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit(raw);
  };
  return (
    <form className="correction" onSubmit={submit} aria-labelledby="correction-title">
      <h2 id="correction-title">
        Correct dead letter {letter.id} <span className="muted">({letter.reasonCode})</span>
      </h2>
      <label htmlFor="corrected-record">The record, corrected (one line in the source's format)</label>
      <textarea
        id="corrected-record"
        rows={3}
        value={raw}
        onChange={(e) => setRaw(e.target.value)}
        spellCheck={false}
      />
      <div className="actions">
        <button type="submit" disabled={busy}>
          Replay corrected record
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
