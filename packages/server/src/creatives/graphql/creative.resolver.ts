import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ADMIN_ROLE, LOCAL_STORAGE } from '@offload/types';
import { locationIdOf, locationView } from '../../storage/graphql/location.resolver.js';
import { StorageLocationType } from '../../storage/graphql/location.types.js';
import type { Context } from '../../graphql/context.js';
import type { StorageKey } from '@offload/types';
import { OffloadStatusEnum, StorageKeyEnum, StudioEnum } from '../../graphql/enums.js';
import { Creative, type OffloadStatus, type Studio } from '../creative.entity.js';
import { CreativeConnection, FinalizeCreativeInput } from './creative.types.js';

@Resolver(() => Creative)
export class CreativeResolver {
  @Authorized('creatives:write')
  @Mutation(() => Creative, {
    description:
      'Tells Offload a studio finished a result on the results disk. Returns at once; the upload (if a bucket is active) happens in the background and ' +
      'never makes this fail.',
  })
  async finalizeCreative(@Arg('input', () => FinalizeCreativeInput) input: FinalizeCreativeInput, @Ctx() ctx: Context): Promise<Creative> {
    const creative = await ctx.creatives.finalize(input);
    ctx.logger.info({ creativeId: creative.id, path: creative.path, status: creative.offloadStatus }, 'creative finalized');
    return creative;
  }

  @Authorized('creatives:read')
  @Query(() => Creative, { nullable: true })
  creative(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Creative | null> {
    return ctx.creatives.get(id);
  }

  @Authorized('creatives:read')
  @Query(() => CreativeConnection, { description: 'Newest first.' })
  async creatives(
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { defaultValue: 50, description: 'At most 500.' }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
    @Arg('location', () => StorageKeyEnum, { nullable: true, description: 'Held by this provider (any of its locations) or the results disk.' })
    location?: StorageKey | null,
    @Arg('locationId', () => ID, { nullable: true, description: 'Held by this storage location.' }) locationId?: string | null,
    @Arg('status', () => OffloadStatusEnum, { nullable: true }) status?: OffloadStatus | null,
    @Arg('studio', () => StudioEnum, { nullable: true }) studio?: Studio | null,
  ): Promise<CreativeConnection> {
    const page = await ctx.creatives.list({ first, after, location, locationId: locationId ? locationIdOf(locationId, 'locationId') : null, status, studio });
    return {
      nodes: page.edges.map((e) => e.node),
      edges: page.edges,
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
    };
  }

  @Authorized('creatives:read')
  @Query(() => Int, { description: 'How many creatives match the filters.' })
  creativeCount(
    @Ctx() ctx: Context,
    @Arg('location', () => StorageKeyEnum, { nullable: true }) location?: StorageKey | null,
    @Arg('locationId', () => ID, { nullable: true }) locationId?: string | null,
    @Arg('status', () => OffloadStatusEnum, { nullable: true }) status?: OffloadStatus | null,
    @Arg('studio', () => StudioEnum, { nullable: true }) studio?: Studio | null,
  ): Promise<number> {
    return ctx.creatives.count({ location, locationId: locationId ? locationIdOf(locationId, 'locationId') : null, status, studio });
  }

  @Authorized('creatives:write')
  @Mutation(() => Boolean, { description: 'Deletes the object from its bucket and any local copy. Returns false if it was already gone; safe to repeat.' })
  async deleteCreative(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<boolean> {
    const deleted = await ctx.creatives.delete(id);
    if (deleted) ctx.logger.info({ creativeId: id }, 'creative deleted');
    return deleted;
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => Creative, { description: 'Re-queues a FAILED offload for the storage that is effective now.' })
  async retryOffload(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Creative> {
    const creative = await ctx.creatives.retry(id);
    ctx.logger.info({ creativeId: id }, 'offload re-queued');
    return creative;
  }

  @FieldResolver(() => StorageKeyEnum, { description: 'Where it lives: LOCAL or the provider of its storage location (see storageLocation).' })
  location(@Root() creative: Creative, @Ctx() ctx: Context): StorageKey | Promise<StorageKey> {
    return ctx.locations.withLocation(creative.locationId, (l) => l?.provider ?? LOCAL_STORAGE);
  }

  @FieldResolver(() => StorageLocationType, { description: 'The exact place it is stored: provider, endpoint, bucket, public URL.' })
  async storageLocation(@Root() creative: Creative, @Ctx() ctx: Context): Promise<StorageLocationType> {
    return locationView(await ctx.locations.require(creative.locationId), ctx);
  }

  @FieldResolver(() => String, { description: 'The absolute URL to fetch it from, built now from where it lives (never stored).' })
  url(@Root() creative: Creative, @Ctx() ctx: Context): string | Promise<string> {
    return ctx.creatives.url(creative);
  }
}
