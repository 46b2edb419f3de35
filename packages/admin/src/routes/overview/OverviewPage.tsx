import { useQuery } from '@apollo/client/react';
import { OverviewDocument } from '@offload/types/graphql';

export function OverviewPage() {
  const { data, loading, error } = useQuery(OverviewDocument);
  return (
    <section>
      <h1>Overview</h1>
      <p className="lead">Offload decides where generated images and videos live — this server’s disk or your own bucket — and serves them from there.</p>
      {loading && <p role="status">Loading…</p>}
      {error && <p role="alert" className="error">Could not reach the server: {error.message}</p>}
      {data && (
        <dl className="facts">
          <dt>Version</dt>
          <dd data-testid="server-version">{data.serverInfo.version}</dd>
        </dl>
      )}
    </section>
  );
}
