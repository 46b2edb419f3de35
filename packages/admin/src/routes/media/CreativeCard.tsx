import { CopyButton } from '../../components/CopyButton';
import { formatBytes } from '../../components/format';
import { useRetryOffloadMutation } from './useRetryOffloadMutation';
import type { CreativeCardFragment } from '@offload/types/graphql';

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
        <span
          className={`badge ${c.location === 'LOCAL' ? '' : 'ok'}`}
          data-testid="location"
          title={c.storageLocation.current ? undefined : 'A retired location: it keeps serving the results stored there'}
        >
          {c.storageLocation.label}
          {c.storageLocation.current ? '' : ' (retired)'}
        </span>
        <span className={`badge status-${c.offloadStatus.toLowerCase()}`} data-testid="status">
          {c.offloadStatus.toLowerCase()}
        </span>
        <span className="badge">{formatBytes(c.size)}</span>
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
