import { CopyButton } from '../../components/CopyButton';
import type { CreateApiTokenMutation } from '@offload/types/graphql';

/** The new token's only showing: it is not kept, so it cannot be shown again. */
export function CreatedTokenPanel({ created }: { created: CreateApiTokenMutation['createApiToken'] }) {
  return (
    <div className="panel success" role="status" aria-live="polite">
      <p>
        <strong>{created.apiToken.name}</strong>: copy this token now — it will not be shown again.
      </p>
      <code data-testid="new-token">{created.token}</code>
      <CopyButton text={created.token} copied="Token copied." />
    </div>
  );
}
