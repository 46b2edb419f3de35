import { useQuery } from '@apollo/client/react';
import { Link } from 'react-router';
import { OverviewDocument, type OverviewQuery } from '@offload/types/graphql';
import { formatBytes } from '../../components/format';
import { QueryState } from '../../components/QueryState';
import { BulkJobProgress, JobState, jobName } from '../tools/BulkJobProgress';
import { ThroughputChart } from './ThroughputChart';

/** Fresh enough to watch a backlog drain, cheap at any size (every figure is a running total or a small index). */
const REFRESH_MS = 15_000;

export function OverviewPage() {
  const overview = useQuery(OverviewDocument, { pollInterval: REFRESH_MS, fetchPolicy: 'cache-and-network' });
  return (
    <section>
      <h1>Overview</h1>
      <p className="lead">Offload decides where generated images and videos live — this server’s disk or your own bucket — and serves them from there.</p>
      <QueryState query={overview}>{(data) => <Dashboard data={data} />}</QueryState>
    </section>
  );
}

function Dashboard({ data }: { data: OverviewQuery }) {
  const { localDisk, queue, latestFailures, throughput } = data.overview;
  const held = data.storageLocations.filter((l) => l.usage.results > 0 || l.current);
  return (
    <div className="dashboard">
      <section className="panel" aria-labelledby="storage-heading">
        <h2 id="storage-heading">Storage</h2>
        {data.defaultStorage.fallbackInEffect ? (
          <p className="banner warning" role="alert">
            {data.defaultStorage.fallbackReason}
          </p>
        ) : (
          <p>
            New results are stored on <strong data-testid="overview-effective">{data.defaultStorage.effective.label}</strong>.
          </p>
        )}
        <table>
          <caption className="visually-hidden">Where results live</caption>
          <thead>
            <tr>
              <th scope="col">Where results live</th>
              <th scope="col">Results</th>
              <th scope="col">Size</th>
            </tr>
          </thead>
          <tbody>
            {held.map((l) => (
              <tr key={l.id} data-testid="overview-location">
                <td>
                  {l.label}
                  {l.current ? '' : ' (retired)'}
                </td>
                <td className="number">{l.usage.results.toLocaleString()}</td>
                <td className="number">{formatBytes(l.usage.bytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="help" data-testid="overview-disk">
          Results disk: {formatBytes(localDisk.freeBytes)} free of {formatBytes(localDisk.totalBytes)}.{' '}
          <Link to="/general/locations">All storage locations</Link>
        </p>
      </section>

      <section className="panel" aria-labelledby="queue-heading">
        <h2 id="queue-heading">Offload queue</h2>
        <dl className="counts">
          <div>
            <dt>Queued</dt>
            <dd data-testid="queue-queued">{queue.queued.toLocaleString()}</dd>
          </div>
          <div>
            <dt>Uploading</dt>
            <dd data-testid="queue-uploading">{queue.uploading.toLocaleString()}</dd>
          </div>
          <div>
            <dt>Failed</dt>
            <dd data-testid="queue-failed" className={queue.failed ? 'error' : undefined}>
              {queue.failed ? <Link to="/media?status=FAILED">{queue.failed.toLocaleString()}</Link> : '0'}
            </dd>
          </div>
        </dl>
        {latestFailures.length > 0 && (
          <>
            <h3>Latest failures</h3>
            <ul className="failures">
              {latestFailures.map((f) => (
                <li key={f.id} data-testid="overview-failure">
                  <span className="path">{f.path}</span>
                  <span className="error small">{f.lastError}</span>
                </li>
              ))}
            </ul>
            <p className="help">
              <Link to="/media?status=FAILED">See every failed result</Link>, where each can be retried.
            </p>
          </>
        )}
      </section>

      <BulkJobsPanel jobs={data.bulkJobs.filter((job) => job.state === 'RUNNING' || job.state === 'PAUSED')} />

      <section className="panel" aria-labelledby="throughput-heading">
        <h2 id="throughput-heading">Offloads, last 24 hours</h2>
        <ThroughputChart hours={throughput} />
      </section>

      <p className="help">
        Offload <span data-testid="server-version">{data.serverInfo.version}</span>
      </p>
    </div>
  );
}

/** Running and paused moves at a glance; they are started and controlled on the Tools screen. */
function BulkJobsPanel({ jobs }: { jobs: OverviewQuery['bulkJobs'] }) {
  return (
    <section className="panel" aria-labelledby="bulk-jobs-heading">
      <h2 id="bulk-jobs-heading">Bulk jobs</h2>
      {jobs.length === 0 ? (
        <p className="muted">No bulk jobs running.</p>
      ) : (
        <ul className="overview-jobs">
          {jobs.map((job) => (
            <li key={job.id} data-testid="overview-job">
              <div className="job-head">
                <strong>{jobName(job)}</strong>
                <JobState state={job.state} />
              </div>
              <BulkJobProgress job={job} />
            </li>
          ))}
        </ul>
      )}
      <p className="help">
        <Link to="/tools">Move results in Tools</Link>: offload existing results, move buckets, or download back.
      </p>
    </section>
  );
}
