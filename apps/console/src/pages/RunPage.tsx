import { useEffect, useRef, useState } from 'react';
import { useMutation, useQuery, useSubscription } from 'urql';
import { type Permissions } from '../App';
import { ThroughputPlot } from '../components/ThroughputPlot';
import { graphql, type ResultOf } from '../graphql';
import { useRefreshEvery } from '../refresh';
import { follow } from '../router';
import { errorText } from '../view/errors';
import { addSnapshot, conservation, fmt, LIVE, progress, type RatePoint } from '../view/runs';
import { ReasonCountsQuery } from './DeadLettersPage';

const RunFields = graphql(`
  fragment RunFields on Run @_unmask {
    id
    jobName
    jobVersion
    status
    statusReason
    read
    loaded
    deadLettered
    filtered
    inSink
    bytesRead
    sourceBytes
    sourcePath
    batchesCommitted
    recordsPerSecond
    createdAt
    startedAt
    finishedAt
    errorCode
    errorMessage
    attempts
    reconciliation {
      reconciled
      reason
      sourceTotals {
        currency
        count
        amount
      }
      sinkTotals {
        currency
        count
        amount
      }
    }
    sla {
      status
      deadline
      projectedFinish
      errorRate
      maxErrorRate
      reason
    }
  }
`);

const RunQuery = graphql(
  `
    query Run($id: ID!) {
      run(id: $id) {
        ...RunFields
        throughput {
          seconds
          recordsPerSecond
        }
      }
    }
  `,
  [RunFields],
);
const ProgressSubscription = graphql(
  `
    subscription Progress($id: ID!) {
      runProgress(id: $id) {
        ...RunFields
      }
    }
  `,
  [RunFields],
);
const PartitionsQuery = graphql(`
  query RunPartitions($runId: ID!) {
    runPartitions(runId: $runId) {
      partitionNo
      state
      owner
      read
      loaded
      fencedBatches
    }
  }
`);
const PauseRun = graphql(`
  mutation PauseRun($id: ID!, $reason: String) {
    pauseRun(id: $id, reason: $reason) {
      id
      status
    }
  }
`);
const ResumeRun = graphql(`
  mutation ResumeRun($id: ID!, $reason: String) {
    resumeRun(id: $id, reason: $reason) {
      id
      status
    }
  }
`);
const CancelRun = graphql(`
  mutation CancelRun($id: ID!, $reason: String) {
    cancelRun(id: $id, reason: $reason) {
      id
      status
    }
  }
`);

type Run = ResultOf<typeof RunFields>;

/** One run: live progress, throughput, the conservation check, totals, SLA, dead-letter reasons, partitions. */
export function RunPage({ id, permissions }: { id: string; permissions: Permissions }) {
  const [{ data, error }, refetch] = useQuery({ query: RunQuery, variables: { id } });
  const [live, setLive] = useState<Run | undefined>();
  const series = useRef<Parameters<typeof addSnapshot>[0]>({ points: [] });
  const [points, setPoints] = useState<RatePoint[]>([]);
  const run = live ?? data?.run ?? undefined;
  const watching = run ? LIVE.has(run.status) : false;
  // the whole run's throughput from its committed batches; while the page watches a live run, its snapshots
  const history = (data?.run?.throughput ?? []).map((p) => ({ t: p.seconds, rate: p.recordsPerSecond }));
  const shown = (watching && points.length) || !history.length ? points : history;
  const [sub] = useSubscription({
    query: ProgressSubscription,
    variables: { id },
    pause: !data?.run || !LIVE.has(data.run.status),
  });
  useEffect(() => {
    const snapshot = sub.data?.runProgress;
    if (!snapshot) return;
    setLive(snapshot);
    // once it ends, the run's whole history replaces what this page happened to see
    if (!LIVE.has(snapshot.status)) refetch({ requestPolicy: 'network-only' });
    series.current = addSnapshot(series.current, Date.now(), snapshot.read);
    setPoints(series.current.points);
  }, [sub.data, refetch]);
  useEffect(() => {
    series.current = { points: [] };
    setPoints([]);
    setLive(undefined);
  }, [id]);
  if (error && !run)
    return (
      <p role="alert" className="error">
        Could not load run {id}: {errorText(error.message)}
      </p>
    );
  if (!run) return <p aria-busy="true">Loading run…</p>;
  const share = progress(run.bytesRead, run.sourceBytes);
  const check = conservation(run);
  return (
    <article aria-labelledby="run-title" className="run">
      <p>
        <a href="/" onClick={(e) => follow(e, '/')}>
          ← Runs
        </a>
      </p>
      <h1 id="run-title">
        {run.jobName} <span className="muted">v{run.jobVersion}</span>{' '}
        <span className={`badge ${run.status.toLowerCase()}`} aria-live="polite" data-testid="run-status">
          {run.status.toLowerCase()}
        </span>
      </h1>
      <p className="muted">
        Run {run.id} · {run.sourcePath}
        {run.attempts > 1 ? ` · ${run.attempts} attempts` : ''}
      </p>
      {run.errorMessage ? (
        <p role="alert" className="error">
          {run.errorCode}: {run.errorMessage}
        </p>
      ) : null}
      {run.statusReason ? <p className="note">{run.statusReason}</p> : null}
      <Actions run={run} permissions={permissions} onDone={() => refetch({ requestPolicy: 'network-only' })} />

      <section aria-labelledby="progress-title">
        <h2 id="progress-title">Progress</h2>
        {share !== undefined ? (
          <progress max={1} value={share} aria-label="Bytes read">
            {Math.round(share * 100)}%
          </progress>
        ) : null}
        <dl className="counters">
          <div>
            <dt>Read</dt>
            <dd data-testid="read">{fmt(run.read)}</dd>
          </div>
          <div>
            <dt>Loaded</dt>
            <dd data-testid="loaded">{fmt(run.loaded)}</dd>
          </div>
          <div>
            <dt>Dead-lettered</dt>
            <dd>{fmt(run.deadLettered)}</dd>
          </div>
          <div>
            <dt>Filtered</dt>
            <dd>{fmt(run.filtered)}</dd>
          </div>
          <div>
            <dt>Kept in the sink</dt>
            <dd>{fmt(run.inSink)}</dd>
          </div>
          <div>
            <dt>Rate</dt>
            <dd>{fmt(Math.round(run.recordsPerSecond))} records/s</dd>
          </div>
        </dl>
        <p className={check.holds ? 'ok' : 'error'} data-testid="conservation">
          {check.holds ? '✓ ' : '✗ '}
          {check.text}
        </p>
        <ThroughputPlot points={shown} live={watching} />
      </section>

      <section aria-labelledby="totals-title">
        <h2 id="totals-title">Totals per currency</h2>
        {run.reconciliation ? (
          <>
            <p className={run.reconciliation.reconciled ? 'ok' : 'error'} data-testid="reconciled">
              {run.reconciliation.reconciled
                ? '✓ source and sink agree'
                : `✗ ${run.reconciliation.reason ?? 'not reconciled'}`}
            </p>
            <table>
              <thead>
                <tr>
                  <th scope="col">Currency</th>
                  <th scope="col" className="num">
                    Source count
                  </th>
                  <th scope="col" className="num">
                    Source amount
                  </th>
                  <th scope="col" className="num">
                    Sink count
                  </th>
                  <th scope="col" className="num">
                    Sink amount
                  </th>
                </tr>
              </thead>
              <tbody>
                {run.reconciliation.sourceTotals.map((s) => {
                  const sink = run.reconciliation?.sinkTotals.find((t) => t.currency === s.currency);
                  return (
                    <tr key={s.currency}>
                      <th scope="row">{s.currency}</th>
                      <td className="num">{fmt(s.count)}</td>
                      <td className="num">{s.amount}</td>
                      <td className="num">{sink ? fmt(sink.count) : '—'}</td>
                      <td className="num">{sink?.amount ?? '—'}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </>
        ) : (
          <p className="muted">Reconciled when the run ends.</p>
        )}
      </section>

      <section aria-labelledby="sla-title">
        <h2 id="sla-title">SLA</h2>
        <p>
          {run.sla.status === 'NONE'
            ? 'No SLA on this job.'
            : `${run.sla.status.toLowerCase().replace('_', ' ')} — ${run.sla.reason}`}
        </p>
      </section>

      {permissions.may('Query.deadLetters') && run.deadLettered > 0 ? <DeadLetterReasons runId={run.id} /> : null}
      {permissions.may('Query.runPartitions') ? <Partitions runId={run.id} live={watching} /> : null}
    </article>
  );
}

function Actions({ run, permissions, onDone }: { run: Run; permissions: Permissions; onDone: () => void }) {
  const [pause, doPause] = useMutation(PauseRun);
  const [resume, doResume] = useMutation(ResumeRun);
  const [cancel, doCancel] = useMutation(CancelRun);
  const [reason, setReason] = useState('');
  const why = reason.trim();
  const busy = pause.fetching || resume.fetching || cancel.fetching;
  const failure = pause.error ?? resume.error ?? cancel.error;
  const act = async (what: () => Promise<{ error?: unknown }>) => {
    const r = await what();
    if (!r.error) setReason('');
    onDone();
  };
  const buttons = [
    permissions.may('Mutation.pauseRun') && run.status === 'RUNNING' ? (
      <button
        key="pause"
        type="button"
        disabled={busy || !why}
        onClick={() => act(() => doPause({ id: run.id, reason: why }))}
      >
        Pause
      </button>
    ) : null,
    permissions.may('Mutation.resumeRun') && run.status === 'PAUSED' ? (
      <button
        key="resume"
        type="button"
        disabled={busy || !why}
        onClick={() => act(() => doResume({ id: run.id, reason: why }))}
      >
        Resume
      </button>
    ) : null,
    permissions.may('Mutation.cancelRun') && LIVE.has(run.status) ? (
      <button
        key="cancel"
        type="button"
        className="danger"
        disabled={busy || !why}
        onClick={() => {
          if (window.confirm(`Cancel this run of ${run.jobName}? Nothing of it will be published.`))
            void act(() => doCancel({ id: run.id, reason: why }));
        }}
      >
        Cancel run
      </button>
    ) : null,
  ].filter(Boolean);
  if (!buttons.length && !failure) return null;
  return (
    <div className="actions" role="group" aria-label="Run actions">
      {buttons.length ? (
        <label className="grow">
          Reason (required; recorded in the audit chain with you)
          <input
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            maxLength={2000}
            aria-describedby="run-action-help"
          />
        </label>
      ) : null}
      {buttons}
      {buttons.length && !why ? (
        <p id="run-action-help" className="muted">
          Say why before you pause, resume or cancel: the reason stays with the run and in the audit chain.
        </p>
      ) : null}
      {failure ? (
        <p role="alert" className="error">
          {errorText(failure.message)}
        </p>
      ) : null}
    </div>
  );
}

function DeadLetterReasons({ runId }: { runId: string }) {
  const [{ data }] = useQuery({ query: ReasonCountsQuery, variables: { runId, status: null } });
  const reasons = data?.deadLetterReasons.reasons ?? [];
  return (
    <section aria-labelledby="dlq-title">
      <h2 id="dlq-title">Dead letters by reason</h2>
      <p>
        <a href={`/dead-letters?run=${runId}`} onClick={(e) => follow(e, `/dead-letters?run=${runId}`)}>
          Replay or discard them →
        </a>
      </p>
      <ul className="reasons">
        {reasons.map((r) => (
          <li key={r.reasonCode}>
            <code>{r.reasonCode}</code> × {fmt(r.count)}
          </li>
        ))}
      </ul>
    </section>
  );
}

function Partitions({ runId, live }: { runId: string; live: boolean }) {
  const [{ data }, refresh] = useQuery({ query: PartitionsQuery, variables: { runId } });
  useRefreshEvery(refresh, live);
  const parts = data?.runPartitions ?? [];
  if (parts.length < 2) return null;
  return (
    <section aria-labelledby="partitions-title">
      <h2 id="partitions-title">Partitions</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">State</th>
            <th scope="col">Replica</th>
            <th scope="col" className="num">
              Read
            </th>
            <th scope="col" className="num">
              Loaded
            </th>
            <th scope="col" className="num">
              Fenced batches
            </th>
          </tr>
        </thead>
        <tbody>
          {parts.map((p) => (
            <tr key={p.partitionNo}>
              <td>{p.partitionNo}</td>
              <td>{p.state.toLowerCase()}</td>
              <td>{p.owner ?? '—'}</td>
              <td className="num">{fmt(p.read)}</td>
              <td className="num">{fmt(p.loaded)}</td>
              <td className="num">{fmt(p.fencedBatches)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
