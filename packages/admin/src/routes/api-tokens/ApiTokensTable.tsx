import { ApiTokenRow } from './ApiTokenRow';
import type { ApiTokenRowFragment } from '@offload/types/graphql';

export function ApiTokensTable({ tokens }: { tokens: ApiTokenRowFragment[] }) {
  return (
    // Scrolls sideways on a phone; focusable so keyboard users can scroll it too.
    <div className="table-scroll" tabIndex={0} role="region" aria-label="API tokens">
      <table>
        <caption className="visually-hidden">API tokens</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Token</th>
            <th scope="col">Scopes</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((token) => (
            <ApiTokenRow key={token.id} token={token} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
