import { useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { QueryState } from '../../components/QueryState';
import { CreativeGrid } from './CreativeGrid';
import { MediaFilters, NO_FILTERS, type Filters } from './MediaFilters';
import { MediaDocument } from '@offload/types/graphql';

const PAGE = 24;

export function MediaPage() {
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
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
