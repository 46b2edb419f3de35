import { useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { QueryState } from '../../components/QueryState';
import { CreativeGrid } from './CreativeGrid';
import { MediaFilters, NO_FILTERS, type Filters } from './MediaFilters';
import { OFFLOAD_STATUSES } from '@offload/types';
import { MediaDocument } from '@offload/types/graphql';

const PAGE = 24;

/** Links may open the view filtered by status: /media?status=FAILED (the overview's failures). */
function initialFilters(params: URLSearchParams): Filters {
  const status = params.get('status');
  return { ...NO_FILTERS, status: OFFLOAD_STATUSES.find((s) => s === status) ?? null };
}

export function MediaPage() {
  const [params] = useSearchParams();
  const [filters, setFilters] = useState<Filters>(() => initialFilters(params));
  const media = useQuery(MediaDocument, { variables: { first: PAGE, ...filters }, fetchPolicy: 'cache-and-network', notifyOnNetworkStatusChange: true });
  const empty = Object.values(filters).some(Boolean) ? 'No results match these filters.' : 'No results yet. Each one appears here once a studio finalizes it.';
  return (
    <section>
      <h1>Media</h1>
      <p className="lead">Every finalized result, where it lives and the URL it is served from.</p>
      <MediaFilters filters={filters} onChange={setFilters} onRefresh={() => media.refetch()} />
      <QueryState query={media} empty={{ when: (data) => data.creatives.edges.length === 0, message: empty }}>
        {(data) => <CreativeGrid data={data} loading={media.loading} onLoadMore={(after) => media.fetchMore({ variables: { after } })} />}
      </QueryState>
    </section>
  );
}
