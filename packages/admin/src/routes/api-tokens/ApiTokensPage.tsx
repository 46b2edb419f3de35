import { useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { QueryState } from '../../components/QueryState';
import { ApiTokensTable } from './ApiTokensTable';
import { CreatedTokenPanel } from './CreatedTokenPanel';
import { NewTokenForm } from './NewTokenForm';
import { ApiTokensDocument, type CreateApiTokenMutation } from '@offload/types/graphql';

export function ApiTokensPage() {
  const tokens = useQuery(ApiTokensDocument);
  const [created, setCreated] = useState<CreateApiTokenMutation['createApiToken'] | null>(null);
  return (
    <section>
      <h1>API tokens</h1>
      <p className="lead">
        The platform calls Offload with these (<code>Authorization: Bearer …</code>). A token is shown once, when it is created; only a hash is kept.
      </p>
      <NewTokenForm onCreated={setCreated} />
      {created && <CreatedTokenPanel created={created} />}
      <QueryState
        query={tokens}
        empty={{ when: (data) => data.apiTokens.length === 0, message: 'No tokens yet. Create one for each studio or publisher that calls Offload.' }}
      >
        {(data) => <ApiTokensTable tokens={data.apiTokens} />}
      </QueryState>
    </section>
  );
}
