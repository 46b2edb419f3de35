import { useQuery } from '@apollo/client/react';
import { useEffect } from 'react';
import { ToolsDocument, type ToolsQuery } from '@offload/types/graphql';
import { QueryState } from '../../components/QueryState';
import { ActiveJob } from './ActiveJob';
import { JobHistory } from './JobHistory';
import { MoveForm } from './MoveForm';
import { OtherTools } from './OtherTools';

// The API has no subscriptions, so the screen polls its one query (locations' tallies and the
// job rows, both cheap): every 2 s while a job runs, so its bar moves as it works, and every
// 10 s otherwise, to notice a job started elsewhere (another admin, the command line).
const WHILE_RUNNING_MS = 2_000;
const IDLE_MS = 10_000;

const isActive = (job: ToolsQuery['bulkJobs'][number]) => job.state === 'RUNNING' || job.state === 'PAUSED';

export function ToolsPage() {
  // Polls quietly: what is on screen stays while it refreshes, with no Loading… each time.
  const tools = useQuery(ToolsDocument, { fetchPolicy: 'cache-and-network', notifyOnNetworkStatusChange: false });
  const running = tools.data?.bulkJobs.some((job) => job.state === 'RUNNING') ?? false;
  const { startPolling, stopPolling } = tools;
  useEffect(() => {
    startPolling(running ? WHILE_RUNNING_MS : IDLE_MS);
    return stopPolling;
  }, [running, startPolling, stopPolling]);

  return (
    <section>
      <h1>Tools</h1>
      <p className="lead">
        Move results between storage locations: offload the results already on this server to a bucket, move them from one bucket to another, or download them
        back. Jobs run behind new results’ offloads, a batch at a time, and can be paused, resumed or canceled.
      </p>
      <QueryState query={tools}>
        {(data) => {
          const active = data.bulkJobs.filter(isActive);
          const finished = data.bulkJobs.filter((job) => !isActive(job));
          return (
            <>
              {/* What is moving now comes first: it is what an admin returns to this screen to watch. */}
              <section aria-labelledby="active-jobs-heading">
                <h2 id="active-jobs-heading">Running and paused</h2>
                {active.length ? active.map((job) => <ActiveJob key={job.id} job={job} />) : <p className="muted">No bulk jobs running.</p>}
              </section>
              <MoveForm locations={data.storageLocations} />
              <OtherTools locations={data.storageLocations} refresh={data.bulkJobs.map((job) => `${job.id}:${job.state}`).join()} />
              <section aria-labelledby="history-heading">
                <h2 id="history-heading">History</h2>
                {finished.length ? <JobHistory jobs={finished} /> : <p className="muted">No finished jobs yet.</p>}
              </section>
            </>
          );
        }}
      </QueryState>
    </section>
  );
}
