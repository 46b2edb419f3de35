import { useQuery } from '@apollo/client/react';
import { StorageLocationsDocument } from '@offload/types/graphql';
import { QueryState } from '../../components/QueryState';
import { StorageLocationRow } from './StorageLocationRow';

export function StorageLocationsPage() {
  const query = useQuery(StorageLocationsDocument, { fetchPolicy: 'cache-and-network' });
  return (
    <section>
      <h1>Storage locations</h1>
      <p className="lead">
        Every place results live. A result stays in the location it was stored in: changing a provider’s bucket, account or endpoint starts a new location for
        new results, and the earlier one is retired but keeps serving, signing and deleting its results with its own credentials.
      </p>
      <QueryState query={query}>
        {(data) => (
          <div className="table-scroll" tabIndex={0} role="region" aria-label="Storage locations">
            <table>
              <caption className="visually-hidden">Storage locations</caption>
              <thead>
                <tr>
                  <th scope="col">Location</th>
                  <th scope="col">Served from</th>
                  <th scope="col">Results</th>
                  <th scope="col">Size</th>
                  <th scope="col">Last stored</th>
                  <th scope="col">Status</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {data.storageLocations.map((location) => (
                  <StorageLocationRow key={location.id} location={location} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
    </section>
  );
}
