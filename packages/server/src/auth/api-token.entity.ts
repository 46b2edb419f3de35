import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { ApiScope } from '@offload/types';

/** A platform credential. The token is shown once at creation; only its SHA-256 is stored. */
@Entity({ tableName: 'api_token' })
export class ApiToken {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 100 })
  name!: string;

  @Property({ type: 'string', length: 64, unique: true, hidden: true })
  tokenHash!: string;

  /** The token's first characters, so admins can tell tokens apart without seeing them. */
  @Property({ type: 'string', length: 16 })
  prefix!: string;

  @Property({ type: 'text[]' })
  scopes!: ApiScope[];

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  lastUsedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  revokedAt?: Date | null;
}
