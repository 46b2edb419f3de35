import { useRevokeApiTokenMutation } from './useRevokeApiTokenMutation';
import type { ApiScope, ApiTokenRowFragment } from '@offload/types/graphql';

const SCOPE_NAMES: Record<ApiScope, string> = { CREATIVES_WRITE: 'write', CREATIVES_READ: 'read' };
const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

export function ApiTokenRow({ token }: { token: ApiTokenRowFragment }) {
  const [revoke, { loading }] = useRevokeApiTokenMutation();
  return (
    <tr>
      <td>{token.name}</td>
      <td>
        <code>{token.prefix}…</code>
      </td>
      <td>{token.scopes.map((s) => SCOPE_NAMES[s]).join(', ')}</td>
      <td>{when(token.createdAt)}</td>
      <td>{when(token.lastUsedAt)}</td>
      <td>
        {token.revokedAt ? (
          <span className="badge">Revoked</span>
        ) : (
          <button type="button" disabled={loading} onClick={() => revoke(token.id)} aria-label={`Revoke ${token.name}`}>
            Revoke
          </button>
        )}
      </td>
    </tr>
  );
}
