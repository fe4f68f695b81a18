import { useMemo, useState } from 'react';
import { useQuery } from 'urql';
import { Filters, FilterSelect } from '../components/Filters';
import { graphql, type ResultOf } from '../graphql';
import { useRefreshEvery } from '../refresh';
import { follow } from '../router';
import { errorText } from '../view/errors';
import { createdWithin, failuresFirst, fmt, type RunStatus } from '../view/runs';

const RunsQuery = graphql(`
  query Runs($status: RunStatus, $jobId: ID) {
    runs(status: $status, jobId: $jobId, first: 100) {
      edges {
        node {
          id
          jobName
          status
          read
          loaded
          deadLettered
          filtered
          inSink
          createdAt
          finishedAt
          recordsPerSecond
          errorCode
          sla {
            status
          }
        }
      }
    }
    jobs(first: 100) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`);
type RunRow = ResultOf<typeof RunsQuery>['runs']['edges'][number]['node'];

const STATUSES: RunStatus[] = ['FAILED', 'PAUSED', 'RUNNING', 'PENDING', 'CANCELLED', 'SUCCEEDED'];
const PERIODS: [string, number][] = [
  ['any time', 0],
  ['last hour', 3_600_000],
  ['last 24 hours', 86_400_000],
  ['last 7 days', 7 * 86_400_000],
];

/** Runs, failures first, refreshed every two seconds; filters by status, job and time. */
export function RunsPage() {
  const [status, setStatus] = useState<RunStatus | ''>('');
  const [jobId, setJobId] = useState('');
  const [since, setSince] = useState(0);
  const [{ data, error, fetching }, refresh] = useQuery({
    query: RunsQuery,
    variables: { status: status || null, jobId: jobId || null },
  });
  useRefreshEvery(refresh);
  const runs = useMemo(
    () =>
      failuresFirst(
        createdWithin(
          (data?.runs.edges ?? []).map((e) => e.node),
          since,
          Date.now(),
        ),
      ),
    [data, since],
  );
  return (
    <section aria-labelledby="runs-title">
      <h1 id="runs-title">Runs</h1>
      <Filters label="Filter runs">
        <FilterSelect<RunStatus | ''>
          id="runs-status"
          label="Status"
          value={status}
          options={[['', 'all'], ...STATUSES.map((s) => [s, s.toLowerCase()] as const)]}
          onChange={setStatus}
        />
        <FilterSelect
          id="runs-job"
          label="Job"
          value={jobId}
          options={[['', 'all'], ...(data?.jobs.edges ?? []).map(({ node }) => [node.id, node.name] as const)]}
          onChange={setJobId}
        />
        <FilterSelect
          id="runs-created"
          label="Created"
          value={String(since)}
          options={PERIODS.map(([label, ms]) => [String(ms), label] as const)}
          onChange={(v) => setSince(Number(v))}
        />
      </Filters>
      {error ? (
        <p role="alert" className="error">
          Could not load runs: {errorText(error.message)}
        </p>
      ) : null}
      <table className="runs" aria-busy={fetching && !data}>
        <caption className="sr-only">Runs, failures first</caption>
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Job</th>
            <th scope="col" className="num">
              Read
            </th>
            <th scope="col" className="num">
              Loaded
            </th>
            <th scope="col" className="num">
              Dead letters
            </th>
            <th scope="col">SLA</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <RunLine key={run.id} run={run} />
          ))}
          {data && runs.length === 0 ? (
            <tr>
              <td colSpan={7} className="empty">
                No runs match.
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </section>
  );
}

function RunLine({ run }: { run: RunRow }) {
  const href = `/runs/${run.id}`;
  return (
    <tr className={`status-${run.status.toLowerCase()}`}>
      <td>
        <span className={`badge ${run.status.toLowerCase()}`}>{run.status.toLowerCase()}</span>
        {run.errorCode ? <span className="code"> {run.errorCode}</span> : null}
      </td>
      <td>
        <a href={href} onClick={(e) => follow(e, href)}>
          {run.jobName || run.id.slice(0, 8)}
        </a>
      </td>
      <td className="num">{fmt(run.read)}</td>
      <td className="num">
        {fmt(run.loaded)}
        {run.inSink !== run.loaded ? <span className="note"> ({fmt(run.inSink)} kept)</span> : null}
      </td>
      <td className="num">{fmt(run.deadLettered)}</td>
      <td>{run.sla.status === 'NONE' ? '—' : run.sla.status.toLowerCase().replace('_', ' ')}</td>
      <td>{run.createdAt ? new Date(run.createdAt).toLocaleString() : ''}</td>
    </tr>
  );
}
