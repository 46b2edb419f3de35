import { BigIntType, Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { OFFLOAD_STATUSES, STUDIOS, type OffloadStatus, type Studio } from '@offload/types';
import { JSONObjectResolver } from 'graphql-scalars';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { OffloadStatusEnum, StudioEnum } from '../graphql/enums.js';
import { DateTime } from '../graphql/scalars.js';
import { LOCAL_LOCATION_ID } from '../storage/storage-locations.service.js';

export type { OffloadStatus, StorageKey, Studio } from '@offload/types';

/**
 * A finalized studio result: one declaration for the table row and the GraphQL type (the fields
 * with @Field are the API; the lease and bookkeeping are not). Its URL is never stored: it is
 * built when read from its storage location and object key, so a changed CDN domain fixes every URL.
 */
@Entity({ tableName: 'creative' })
@Index({ properties: ['createdAt', 'id'] })
@ObjectType('CreativeType', { description: 'A finalized studio result and where it lives.' })
export class Creative {
  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => String, { description: 'Relative path on the results disk.' })
  @Property({ type: 'string', length: 1024, unique: true })
  path!: string;

  @Field(() => StudioEnum)
  @Enum({ items: () => STUDIOS })
  studio!: Studio;

  @Field(() => String)
  @Property({ type: 'string', length: 255 })
  contentType!: string;

  @Field(() => JSONObjectResolver)
  @Property({ type: 'json' })
  metadata: Record<string, unknown> = {};

  @Field(() => Float, { description: 'Bytes.' })
  @Property({ type: new BigIntType('number') })
  size!: number;

  @Field(() => String, { nullable: true, description: 'Hex SHA-256 of the content, computed while offloading.' })
  @Property({ type: 'string', length: 64, nullable: true })
  sha256: string | null = null;

  /** The storage location holding it (the results disk is location 1); GraphQL resolves `location` and `storageLocation` from it. */
  @Property({ type: 'integer', fieldName: 'location_id' })
  locationId = LOCAL_LOCATION_ID;

  @Field(() => String, { nullable: true, description: 'The object key in its location’s bucket, `<key prefix>/<path>` as it was when offloaded.' })
  @Property({ type: 'string', length: 1100, nullable: true })
  objectKey: string | null = null;

  /** The provider that was the effective storage at finalize time. */
  @Property({ type: 'string', length: 32, nullable: true })
  targetProvider: string | null = null;

  @Field(() => OffloadStatusEnum)
  @Enum({ items: () => OFFLOAD_STATUSES })
  offloadStatus: OffloadStatus = 'LOCAL';

  @Field(() => String, { nullable: true, description: 'Why the last offload attempt failed, or why it was not offloaded.' })
  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;

  @Field(() => Boolean, { description: 'A copy is on this server’s results disk.' })
  @Property({ type: 'boolean' })
  localCopy = true;

  /** Offloaded with "Delete local copy" on, and the local file not yet removed. */
  @Property({ type: 'boolean', hidden: true })
  localDeletePending = false;

  @Field(() => Int)
  @Property({ type: 'integer' })
  offloadAttempts = 0;

  /** Held by the worker uploading it; another may take over once it expires. */
  @Property({ type: 'uuid', nullable: true, hidden: true })
  leaseToken: string | null = null;

  @Property({ type: 'datetime', nullable: true, hidden: true })
  leaseExpiresAt: Date | null = null;

  @Field(() => DateTime)
  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Field(() => DateTime)
  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  @Field(() => DateTime, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  offloadedAt: Date | null = null;

  @Field(() => String, {
    nullable: true,
    description:
      'What the last verification of its stored object found: OK, MISSING, MISMATCH (other bytes than recorded), or REPAIRED (re-uploaded from the local copy); null: not verified since it was stored.',
  })
  @Property({ type: 'string', length: 16, nullable: true })
  integrity: string | null = null;

  @Field(() => DateTime, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  integrityCheckedAt: Date | null = null;
}
