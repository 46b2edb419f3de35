import { useQuery } from '@apollo/client/react';
import { QueryState } from '../../components/QueryState';
import { OverviewDocument } from '@offload/types/graphql';

export function OverviewPage() {
  const overview = useQuery(OverviewDocument);
  return (
    <section>
      <h1>Overview</h1>
      <p className="lead">Offload decides where generated images and videos live — this server’s disk or your own bucket — and serves them from there.</p>
      <QueryState query={overview}>
        {(data) => (
          <dl className="facts">
            <dt>Version</dt>
            <dd data-testid="server-version">{data.serverInfo.version}</dd>
          </dl>
        )}
      </QueryState>
    </section>
  );
}
