import { BigIntType, Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

export const STUDIOS = ['IMAGE', 'VIDEO'] as const;
export type Studio = (typeof STUDIOS)[number];

export const OFFLOAD_STATUSES = ['LOCAL', 'QUEUED', 'UPLOADING', 'OFFLOADED', 'FAILED'] as const;
export type OffloadStatus = (typeof OFFLOAD_STATUSES)[number];

/** Where a creative lives: the local results disk, or a provider's bucket. */
export type CreativeLocation = 'local' | 'cloudflare-r2' | 'amazon-s3' | 'wasabi';

/**
 * A finalized studio result. Its URL is never stored: it is built when read from the
 * location and object key, so a changed CDN domain fixes every URL at once.
 */
@Entity({ tableName: 'creative' })
@Index({ properties: ['createdAt', 'id'] })
export class Creative {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Relative path on the results disk, e.g. images/gemini/<uuid>.png. */
  @Property({ type: 'string', length: 1024, unique: true })
  path!: string;

  @Enum({ items: () => STUDIOS })
  studio!: Studio;

  @Property({ type: 'string', length: 255 })
  contentType!: string;

  @Property({ type: 'json' })
  metadata: Record<string, unknown> = {};

  @Property({ type: new BigIntType('number') })
  size!: number;

  /** Computed while offloading; also kept in the object's metadata. */
  @Property({ type: 'string', length: 64, nullable: true })
  sha256: string | null = null;

  @Property({ type: 'string', length: 32 })
  location: CreativeLocation = 'local';

  /** `<key prefix>/<path>` in the bucket, once offloaded. */
  @Property({ type: 'string', length: 1100, nullable: true })
  objectKey: string | null = null;

  /** The provider that was the effective storage at finalize time. */
  @Property({ type: 'string', length: 32, nullable: true })
  targetProvider: string | null = null;

  @Enum({ items: () => OFFLOAD_STATUSES })
  offloadStatus: OffloadStatus = 'LOCAL';

  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;

  /** The file is (still) on the local results disk. */
  @Property({ type: 'boolean' })
  localCopy = true;

  /** Offloaded with "Delete local copy" on, and the local file not yet removed. */
  @Property({ type: 'boolean', hidden: true })
  localDeletePending = false;

  @Property({ type: 'integer' })
  offloadAttempts = 0;

  /** Held by the worker uploading it; another may take over once it expires. */
  @Property({ type: 'uuid', nullable: true, hidden: true })
  leaseToken: string | null = null;

  @Property({ type: 'datetime', nullable: true, hidden: true })
  leaseExpiresAt: Date | null = null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  offloadedAt: Date | null = null;
}
