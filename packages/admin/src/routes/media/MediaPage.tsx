import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { useToast } from '../../app/toasts';
import { MediaDocument, RetryOffloadDocument, type MediaQuery, type OffloadStatus, type StorageKey, type Studio } from '@offload/types/graphql';

type Creative = MediaQuery['creatives']['edges'][number]['node'];
type Filters = { location: StorageKey | null; status: OffloadStatus | null; studio: Studio | null };

const LOCATIONS: Record<StorageKey, string> = { LOCAL: 'Local server', CLOUDFLARE_R2: 'Cloudflare R2', AMAZON_S3: 'Amazon S3', WASABI: 'Wasabi' };
const STATUSES: OffloadStatus[] = ['LOCAL', 'QUEUED', 'UPLOADING', 'OFFLOADED', 'FAILED'];
const STUDIOS: [Studio, string][] = [['IMAGE', 'Image Studio'], ['VIDEO', 'Video Studio']];
const PAGE = 24;
const size = (bytes: number) => (bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.ceil(bytes / 1e3)} kB`);

function Select<T extends string>({ label, value, options, onChange }: { label: string; value: T | null; options: [T, string][]; onChange: (v: T | null) => void }) {
  const id = `filter-${label.toLowerCase()}`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value ?? ''} onChange={(e) => onChange((e.target.value || null) as T | null)}>
        <option value="">All</option>
        {options.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
    </div>
  );
}

export function MediaPage() {
  const toast = useToast();
  const [filters, setFilters] = useState<Filters>({ location: null, status: null, studio: null });
  const variables = { first: PAGE, ...filters };
  const { data, loading, error, fetchMore, refetch } = useQuery(MediaDocument, { variables, fetchPolicy: 'cache-and-network', notifyOnNetworkStatusChange: true });
  const [retry] = useMutation(RetryOffloadDocument);

  const onRetry = async (c: Creative) => {
    try {
      await retry({ variables: { id: c.id } });
      toast({ kind: 'success', message: `Offload of ${c.path} queued again.` });
      await refetch();
    } catch (e) {
      toast({ kind: 'error', message: (e as Error).message });
    }
  };

  const edges = data?.creatives.edges ?? [];
  return (
    <section>
      <h1>Media</h1>
      <p className="lead">Every finalized result, where it lives and the URL it is served from.</p>
      <div className="filters">
        <Select label="Location" value={filters.location} options={Object.entries(LOCATIONS) as [StorageKey, string][]} onChange={(location) => setFilters((f) => ({ ...f, location }))} />
        <Select label="Status" value={filters.status} options={STATUSES.map((s): [OffloadStatus, string] => [s, s.toLowerCase()])} onChange={(status) => setFilters((f) => ({ ...f, status }))} />
        <Select label="Studio" value={filters.studio} options={STUDIOS} onChange={(studio) => setFilters((f) => ({ ...f, studio }))} />
        <button type="button" onClick={() => refetch()}>
          Refresh
        </button>
      </div>
      {error && <p role="alert" className="error">{error.message}</p>}
      {data && <p className="muted">{data.creativeCount === 1 ? '1 result' : `${data.creativeCount} results`}</p>}
      <ul className="media-grid">
        {edges.map(({ node: c }) => (
          <li key={c.id} className="card media" data-testid="creative">
            <div className="preview">
              {c.studio === 'VIDEO' ? <video src={c.url} preload="metadata" muted controls aria-label={`Preview of ${c.path}`} /> : <img src={c.url} alt={`Preview of ${c.path}`} loading="lazy" />}
            </div>
            <p className="badges">
              <span className={`badge ${c.location === 'LOCAL' ? '' : 'ok'}`} data-testid="location">
                {LOCATIONS[c.location]}
              </span>
              <span className={`badge status-${c.offloadStatus.toLowerCase()}`} data-testid="status">
                {c.offloadStatus.toLowerCase()}
              </span>
              <span className="badge">{size(c.size)}</span>
            </p>
            <p className="path" title={c.path}>
              {c.objectKey ?? c.path}
            </p>
            <div className="url">
              <a href={c.url} target="_blank" rel="noreferrer" data-testid="url">
                {c.url}
              </a>
              <button type="button" onClick={() => navigator.clipboard?.writeText(c.url).then(() => toast({ kind: 'success', message: 'URL copied.' }))} aria-label={`Copy the URL of ${c.path}`}>
                Copy
              </button>
            </div>
            {c.lastError && <p className="error small">{c.lastError}</p>}
            {c.offloadStatus === 'FAILED' && (
              <button type="button" onClick={() => onRetry(c)}>
                Retry offload
              </button>
            )}
          </li>
        ))}
      </ul>
      {loading && <p role="status">Loading…</p>}
      {data?.creatives.pageInfo.hasNextPage && (
        <button
          type="button"
          onClick={() =>
            fetchMore({
              variables: { after: data.creatives.pageInfo.endCursor },
              updateQuery: (prev, { fetchMoreResult }) => ({ ...fetchMoreResult, creatives: { ...fetchMoreResult.creatives, edges: [...prev.creatives.edges, ...fetchMoreResult.creatives.edges] } }),
            })
          }
        >
          Load more
        </button>
      )}
    </section>
  );
}
