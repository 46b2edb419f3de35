import type { EntityManager } from '@mikro-orm/postgresql';
import type { ApiScope } from '@offload/types';

export interface ActiveApiToken {
  id: string;
  name: string;
  scopes: ApiScope[];
  lastUsedAt: Date | null;
}

/** The queries of the bearer-token check, on every platform call. */
export class ApiTokenRepository {
  constructor(private readonly em: EntityManager) {}

  async findActiveByHash(tokenHash: string): Promise<ActiveApiToken | null> {
    const [row] = await this.em
      .getConnection()
      .execute<{ id: string; name: string; scopes: ApiScope[]; last_used_at: string | null }[]>(
        'select id, name, scopes, last_used_at from api_token where token_hash = ? and revoked_at is null',
        [tokenHash],
      );
    return row ? { id: row.id, name: row.name, scopes: row.scopes, lastUsedAt: row.last_used_at ? new Date(row.last_used_at) : null } : null;
  }

  async touch(id: string): Promise<void> {
    await this.em.getConnection().execute('update "api_token" set "last_used_at" = now() where "id" = ?', [id]);
  }
}
