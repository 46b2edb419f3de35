import { JSONObjectResolver } from 'graphql-scalars';
import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ADMIN_ROLE, LOCAL_STORAGE, LOCAL_STORAGE_LABEL, PROVIDERS, type ProviderKey } from '@offload/types';
import type { Context } from '../../graphql/context.js';
import { InvalidInputError } from '../../domain/errors.js';
import { testConnection } from '../connection-test.js';
import type { StorageLocation } from '../storage-locations.service.js';
import { StorageLocationType, StorageLocationUsage } from './location.types.js';
import { ConnectionTestResult } from './storage.types.js';

/** A location id as the API gives it ("2"), checked. */
export function locationIdOf(id: string, field = 'id'): number {
  if (!/^[1-9][0-9]{0,9}$/.test(id)) throw new InvalidInputError(`${field}: not a storage location id`, field);
  return Number(id);
}

/** A location as the API shows it; `active` needs where new results go now. */
export async function locationView(location: StorageLocation, ctx: Context): Promise<StorageLocationType> {
  const effective = (await ctx.storageSettings.defaultStorage().catch(() => null))?.effective ?? LOCAL_STORAGE;
  const local = location.provider === LOCAL_STORAGE;
  return {
    id: String(location.id),
    provider: location.provider,
    label: local ? LOCAL_STORAGE_LABEL : `${PROVIDERS[location.provider as ProviderKey].label} · ${location.bucket}`,
    bucket: local ? null : location.bucket,
    endpoint: location.endpoint || null,
    region: location.region || null,
    publicUrl: local ? `${ctx.config.publicUrl}/results` : location.publicUrl || null,
    current: location.current,
    active: location.current && location.provider === effective,
    settingsError: local ? null : ctx.locations.reachable(location).decryptError,
    createdAt: location.createdAt,
  };
}

@Resolver(() => StorageLocationType)
export class LocationResolver {
  @Authorized(ADMIN_ROLE)
  @Query(() => [StorageLocationType], { description: 'Every place results live or have lived: the results disk first, then buckets, oldest first.' })
  async storageLocations(@Ctx() ctx: Context): Promise<StorageLocationType[]> {
    return Promise.all((await ctx.locations.list()).map((l) => locationView(l, ctx)));
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => StorageLocationType, {
    description:
      'Changes a retired location’s Public / CDN URL (every URL of its results follows) or its credentials (values: the provider’s credential fields). ' +
      'The current location follows its provider’s settings instead.',
  })
  async updateStorageLocation(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: Context,
    @Arg('publicUrl', () => String, { nullable: true }) publicUrl?: string | null,
    @Arg('values', () => JSONObjectResolver, { nullable: true }) values?: Record<string, unknown> | null,
  ): Promise<StorageLocationType> {
    const location = await ctx.locations.updateRetired(locationIdOf(id), { publicUrl, values });
    ctx.logger.info({ locationId: location.id, publicUrl: location.publicUrl, credentials: Boolean(values) }, 'storage location updated');
    return locationView(location, ctx);
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => ConnectionTestResult, {
    description: 'Test connection against a location, with its own credentials: upload, read back, Public / CDN URL, delete.',
  })
  async testStorageLocation(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ConnectionTestResult> {
    await ctx.rateLimits.connectionTest.consume(ctx.requestIp, 'connection tests');
    const location = await ctx.locations.require(locationIdOf(id));
    const reachable = ctx.locations.reachable(location);
    const result = await testConnection({ ...reachable, spec: PROVIDERS[reachable.key] }, ctx.drivers);
    ctx.logger.info({ locationId: location.id, ok: result.ok, step: result.step, code: result.code }, 'storage location tested');
    return result;
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => Boolean, { description: 'Removes a retired location that holds no results, with its stored credentials.' })
  async forgetStorageLocation(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<boolean> {
    await ctx.locations.forget(locationIdOf(id));
    ctx.logger.info({ locationId: id }, 'storage location forgotten');
    return true;
  }

  @FieldResolver(() => StorageLocationUsage, { description: 'Results and bytes stored here (kept as running totals: cheap at any size).' })
  async usage(@Root() location: StorageLocationType, @Ctx() ctx: Context): Promise<StorageLocationUsage> {
    return (await ctx.locations.usageOf(Number(location.id))) ?? { results: 0, bytes: 0, lastWrittenAt: null };
  }
}
