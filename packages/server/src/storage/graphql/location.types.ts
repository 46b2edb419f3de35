import { Field, Float, ID, ObjectType } from 'type-graphql';
import type { StorageKey } from '@offload/types';
import { StorageKeyEnum } from '../../graphql/enums.js';
import { DateTime } from '../../graphql/scalars.js';

@ObjectType('StorageLocation', {
  description:
    'One concrete place results live: the results disk, or one bucket at one endpoint. A result keeps its location when settings change; ' +
    'a new bucket, account or endpoint is a new location.',
})
export class StorageLocationType {
  @Field(() => ID)
  id!: string;

  @Field(() => StorageKeyEnum)
  provider!: StorageKey;

  @Field(() => String, { description: '"Cloudflare R2 · media-a", "Local server (this machine)".' })
  label!: string;

  @Field(() => String, { nullable: true })
  bucket!: string | null;

  @Field(() => String, { nullable: true, description: 'The endpoint used; null where the provider derives it (Amazon S3 by region).' })
  endpoint!: string | null;

  @Field(() => String, { nullable: true })
  region!: string | null;

  @Field(() => String, { nullable: true, description: 'Where its results are served from; null: through short-lived signed links.' })
  publicUrl!: string | null;

  @Field(() => Boolean, { description: 'Its provider’s settings point here (false: retired — it keeps serving its results).' })
  current!: boolean;

  @Field(() => Boolean, { description: 'New results are stored here now.' })
  active!: boolean;

  @Field(() => String, { nullable: true, description: 'Why its stored credentials cannot be used, if they cannot.' })
  settingsError!: string | null;

  @Field(() => DateTime)
  createdAt!: Date;
}

@ObjectType({ description: 'How much a location holds.' })
export class StorageLocationUsage {
  @Field(() => Float, { description: 'Results stored here.' })
  results!: number;

  @Field(() => Float, { description: 'Their bytes.' })
  bytes!: number;

  @Field(() => DateTime, { nullable: true, description: 'When a result was last stored here.' })
  lastWrittenAt!: Date | null;
}
