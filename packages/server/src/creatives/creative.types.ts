import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { JSONObjectResolver } from 'graphql-scalars';
import { DateTime } from '../graphql/scalars.js';
import { StorageKey } from '../storage/graphql/storage.types.js';
import type { OffloadStatus as OffloadStatusValue, Studio as StudioValue } from './creative.entity.js';

export const Studio = { IMAGE: 'IMAGE', VIDEO: 'VIDEO' } as const satisfies Record<StudioValue, StudioValue>;
registerEnumType(Studio, { name: 'Studio', description: 'The studio that generated a result.' });

export const OffloadStatus = { LOCAL: 'LOCAL', QUEUED: 'QUEUED', UPLOADING: 'UPLOADING', OFFLOADED: 'OFFLOADED', FAILED: 'FAILED' } as const satisfies Record<OffloadStatusValue, OffloadStatusValue>;
registerEnumType(OffloadStatus, {
  name: 'OffloadStatus',
  valuesConfig: {
    LOCAL: { description: 'Lives on this server; no bucket was active when it was finalized.' },
    QUEUED: { description: 'Waiting to be uploaded (or to be retried); serving from this server meanwhile.' },
    UPLOADING: { description: 'Being uploaded now; serving from this server meanwhile.' },
    OFFLOADED: { description: 'Verified in its bucket and served from there.' },
    FAILED: { description: 'Every attempt failed; serving from this server. See lastError; retryOffload re-queues it.' },
  },
});

@ObjectType({ description: 'A finalized studio result and where it lives.' })
export class CreativeType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'Relative path on the results disk.' })
  path!: string;

  @Field(() => Studio)
  studio!: StudioValue;

  @Field(() => StorageKey, { description: 'Where it lives now: LOCAL or a provider.' })
  location!: string;

  @Field(() => String, { nullable: true, description: 'The object key in the bucket, `<key prefix>/<path>`, once offloaded.' })
  objectKey!: string | null;

  @Field(() => Float, { description: 'Bytes.' })
  size!: number;

  @Field(() => String)
  contentType!: string;

  @Field(() => String, { nullable: true, description: 'Hex SHA-256 of the content, computed while offloading.' })
  sha256!: string | null;

  @Field(() => OffloadStatus)
  offloadStatus!: OffloadStatusValue;

  @Field(() => String, { nullable: true, description: 'Why the last offload attempt failed, or why it was not offloaded.' })
  lastError!: string | null;

  @Field(() => Int)
  offloadAttempts!: number;

  @Field(() => Boolean, { description: 'A copy is on this server’s results disk.' })
  localCopy!: boolean;

  @Field(() => JSONObjectResolver)
  metadata!: Record<string, unknown>;

  @Field(() => DateTime)
  createdAt!: Date;

  @Field(() => DateTime)
  updatedAt!: Date;

  @Field(() => DateTime, { nullable: true })
  offloadedAt!: Date | null;
}

@ObjectType()
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType()
export class CreativeEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => CreativeType)
  node!: CreativeType;
}

@ObjectType()
export class CreativeConnection {
  @Field(() => [CreativeEdge])
  edges!: CreativeEdge[];

  @Field(() => [CreativeType], { description: 'The same creatives as edges, without cursors.' })
  nodes!: CreativeType[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@InputType()
export class FinalizeCreativeInput {
  @Field(() => String, { description: 'Relative path on the results disk, e.g. images/gemini/<uuid>.png.' })
  path!: string;

  @Field(() => Studio)
  studio!: StudioValue;

  @Field(() => String, { nullable: true, description: 'Defaults to one derived from the file extension.' })
  contentType?: string | null;

  @Field(() => JSONObjectResolver, { nullable: true, description: 'Anything the platform wants kept with the result (≤ 16 KB).' })
  metadata?: Record<string, unknown> | null;
}
