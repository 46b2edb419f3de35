import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ADMIN_ROLE } from '@offload/types';
import type { Context } from '../graphql/context.js';
import { StorageKey } from '../storage/graphql/storage.types.js';
import type { Creative, CreativeLocation, OffloadStatus as OffloadStatusValue, Studio as StudioValue } from './creative.entity.js';
import { CreativeService, encodeCursor } from './creative.service.js';
import { CreativeConnection, CreativeType, FinalizeCreativeInput, OffloadStatus, Studio } from './creative.types.js';

const services = new WeakMap<Context, CreativeService>();
/** One service per request: a listing resolves `url` for up to 500 creatives. */
const service = (ctx: Context) => {
  let s = services.get(ctx);
  if (!s) services.set(ctx, (s = new CreativeService(ctx.em, ctx.storageSettings, ctx.config)));
  return s;
};

@Resolver(() => CreativeType)
export class CreativeResolver {
  @Authorized('creatives:write')
  @Mutation(() => CreativeType, {
    description: 'Tells Offload a studio finished a result on the results disk. Returns at once; the upload (if a bucket is active) happens in the background and never makes this fail.',
  })
  async finalizeCreative(@Arg('input', () => FinalizeCreativeInput) input: FinalizeCreativeInput, @Ctx() ctx: Context): Promise<Creative> {
    const creative = await service(ctx).finalize(input);
    ctx.logger.info({ creativeId: creative.id, path: creative.path, status: creative.offloadStatus }, 'creative finalized');
    return creative;
  }

  @Authorized('creatives:read')
  @Query(() => CreativeType, { nullable: true })
  creative(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Creative | null> {
    return service(ctx).get(id);
  }

  @Authorized('creatives:read')
  @Query(() => CreativeConnection, { description: 'Newest first.' })
  async creatives(
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { defaultValue: 50, description: 'At most 500.' }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
    @Arg('location', () => StorageKey, { nullable: true }) location?: CreativeLocation | null,
    @Arg('status', () => OffloadStatus, { nullable: true }) status?: OffloadStatusValue | null,
    @Arg('studio', () => Studio, { nullable: true }) studio?: StudioValue | null,
  ): Promise<CreativeConnection> {
    const page = await service(ctx).list({ first, after, location, status, studio });
    return {
      nodes: page.nodes as CreativeType[],
      edges: page.nodes.map((node) => ({ node: node as CreativeType, cursor: encodeCursor(node) })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
    };
  }

  @Authorized('creatives:read')
  @Query(() => Int, { description: 'How many creatives match the filters.' })
  creativeCount(
    @Ctx() ctx: Context,
    @Arg('location', () => StorageKey, { nullable: true }) location?: CreativeLocation | null,
    @Arg('status', () => OffloadStatus, { nullable: true }) status?: OffloadStatusValue | null,
    @Arg('studio', () => Studio, { nullable: true }) studio?: StudioValue | null,
  ): Promise<number> {
    return service(ctx).count({ location, status, studio });
  }

  @Authorized('creatives:write')
  @Mutation(() => Boolean, { description: 'Deletes the object from its bucket and any local copy. Returns false if it was already gone; safe to repeat.' })
  async deleteCreative(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<boolean> {
    const deleted = await service(ctx).delete(id);
    if (deleted) ctx.logger.info({ creativeId: id }, 'creative deleted');
    return deleted;
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => CreativeType, { description: 'Re-queues a FAILED offload for the storage that is effective now.' })
  async retryOffload(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Creative> {
    const creative = await service(ctx).retry(id);
    ctx.logger.info({ creativeId: id }, 'offload re-queued');
    return creative;
  }

  @FieldResolver(() => String, { description: 'The absolute URL to fetch it from, built now from where it lives (never stored).' })
  url(@Root() creative: Creative, @Ctx() ctx: Context): Promise<string> {
    return service(ctx).url(creative);
  }
}
