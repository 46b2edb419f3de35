import { Arg, Authorized, Ctx, Field, FieldResolver, Float, Int, ObjectType, Query, Resolver } from 'type-graphql';
import { ADMIN_ROLE } from '@offload/types';
import type { Context } from '../../graphql/context.js';
import { DateTime } from '../../graphql/scalars.js';
import { Creative } from '../../creatives/creative.entity.js';
import { OverviewService, type DiskSpace as Disk, type HourOfOffloads as Hour } from '../overview.service.js';
import type { QueueCounts } from '../../creatives/creative.repository.js';

@ObjectType({ description: 'Space on the disk that holds the results.' })
class DiskSpace {
  @Field(() => String)
  path!: string;

  @Field(() => Float, { description: 'Bytes this server may still write.' })
  freeBytes!: number;

  @Field(() => Float)
  totalBytes!: number;
}

@ObjectType({ description: 'Results waiting for, in, or failed at an upload.' })
class OffloadQueue {
  @Field(() => Int)
  queued!: number;

  @Field(() => Int)
  uploading!: number;

  @Field(() => Int, { description: 'Kept on this server after the last attempt failed; each can be retried.' })
  failed!: number;
}

@ObjectType({ description: 'Offloads finished in one hour.' })
class HourOfOffloads {
  @Field(() => DateTime, { description: 'The hour’s start.' })
  hour!: Date;

  @Field(() => Int)
  results!: number;

  @Field(() => Float)
  bytes!: number;
}

@ObjectType({ description: 'Whether everything is healthy, at a glance; every field costs the same at 10 million results, and is read only when asked for.' })
class Overview {}

const service = (ctx: Context) => new OverviewService(ctx.creativeRepository, ctx.config);

@Resolver(() => Overview)
export class OverviewResolver {
  @Authorized(ADMIN_ROLE)
  @Query(() => Overview, {
    description: 'The admin’s first screen: disk, offload queue, failures and throughput (storage locations and the Default Storage have their own queries).',
  })
  overview(): Overview {
    return new Overview();
  }

  @FieldResolver(() => DiskSpace, { description: 'The results disk.' })
  localDisk(@Ctx() ctx: Context): Promise<Disk> {
    return service(ctx).localDisk();
  }

  @FieldResolver(() => OffloadQueue)
  queue(@Ctx() ctx: Context): Promise<QueueCounts> {
    return service(ctx).queue();
  }

  @FieldResolver(() => [Creative], { description: 'The most recent FAILED offloads, newest first.' })
  latestFailures(@Ctx() ctx: Context, @Arg('limit', () => Int, { defaultValue: 5, description: 'At most 50.' }) limit: number): Promise<Creative[]> {
    return service(ctx).latestFailures(limit);
  }

  @FieldResolver(() => [HourOfOffloads], { description: 'Offloads per hour, oldest first; the last entry is the current hour so far.' })
  throughput(@Ctx() ctx: Context, @Arg('hours', () => Int, { defaultValue: 24, description: 'At most 168.' }) hours: number): Promise<Hour[]> {
    return service(ctx).throughput(hours);
  }
}
