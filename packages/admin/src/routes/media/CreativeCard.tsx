import { CopyButton } from '../../components/CopyButton';
import { LOCATIONS } from './locations';
import { useRetryOffloadMutation } from './useRetryOffloadMutation';
import type { CreativeCardFragment } from '@offload/types/graphql';

const size = (bytes: number) =>
  bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.ceil(bytes / 1e3)} kB`;

function RetryButton({ id }: { id: string }) {
  const [retry, { loading }] = useRetryOffloadMutation();
  return (
    <button type="button" disabled={loading} onClick={() => retry(id)}>
      Retry offload
    </button>
  );
}

export function CreativeCard({ creative: c }: { creative: CreativeCardFragment }) {
  return (
    <li className="card media" data-testid="creative">
      <div className="preview">
        {c.studio === 'VIDEO' ? (
          <video src={c.url} preload="metadata" muted controls aria-label={`Preview of ${c.path}`} />
        ) : (
          <img src={c.url} alt={`Preview of ${c.path}`} loading="lazy" />
        )}
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
        <CopyButton text={c.url} label={`Copy the URL of ${c.path}`} copied="URL copied." />
      </div>
      {c.lastError && <p className="error small">{c.lastError}</p>}
      {c.offloadStatus === 'FAILED' && <RetryButton id={c.id} />}
    </li>
  );
}
