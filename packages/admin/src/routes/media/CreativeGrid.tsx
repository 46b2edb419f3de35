import { CreativeCard } from './CreativeCard';
import type { MediaQuery } from '@offload/types/graphql';

type Props = { data: MediaQuery; loading: boolean; onLoadMore: (after: string | null) => void };

/** The matching results, newest first; each further page is appended by the cache's field policy. */
export function CreativeGrid({ data: { creatives, creativeCount }, loading, onLoadMore }: Props) {
  return (
    <>
      <p className="muted">{creativeCount === 1 ? '1 result' : `${creativeCount} results`}</p>
      <ul className="media-grid">
        {creatives.edges.map(({ node }) => (
          <CreativeCard key={node.id} creative={node} />
        ))}
      </ul>
      {creatives.pageInfo.hasNextPage && (
        <button type="button" disabled={loading} onClick={() => onLoadMore(creatives.pageInfo.endCursor)}>
          Load more
        </button>
      )}
    </>
  );
}
