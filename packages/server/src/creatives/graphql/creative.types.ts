import { Field, InputType, ObjectType } from 'type-graphql';
import { JSONObjectResolver } from 'graphql-scalars';
import { StudioEnum } from '../../graphql/enums.js';
import { Creative, type Studio } from '../creative.entity.js';

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

  @Field(() => Creative)
  node!: Creative;
}

@ObjectType()
export class CreativeConnection {
  @Field(() => [CreativeEdge])
  edges!: CreativeEdge[];

  @Field(() => [Creative], { description: 'The same creatives as edges, without cursors.' })
  nodes!: Creative[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@InputType()
export class FinalizeCreativeInput {
  @Field(() => String, { description: 'Relative path on the results disk, e.g. images/gemini/<uuid>.png.' })
  path!: string;

  @Field(() => StudioEnum)
  studio!: Studio;

  @Field(() => String, { nullable: true, description: 'Defaults to one derived from the file extension.' })
  contentType?: string | null;

  @Field(() => JSONObjectResolver, { nullable: true, description: 'Anything the platform wants kept with the result (≤ 16 KB).' })
  metadata?: Record<string, unknown> | null;
}
