import { Arg, Authorized, Ctx, Field, FieldResolver, Float, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { ADMIN_ROLE, type Studio } from '@offload/types';
import type { Context } from '../../graphql/context.js';
import { BulkJobKindEnum, BulkJobStateEnum, StudioEnum } from '../../graphql/enums.js';
import { DateTime } from '../../graphql/scalars.js';
import { StorageLocationType } from '../../storage/graphql/location.types.js';
import { locationIdOf, locationView } from '../../storage/graphql/location.resolver.js';
import { BulkJobsService, moveRequest, progressOf, type BulkRequest } from '../bulk-jobs.service.js';
import type { BulkFilter as Filter, BulkJobKind, BulkJobRow, BulkJobState } from '../bulk-job.repository.js';

@InputType({ description: 'Which results a bulk job takes; every given condition holds.' })
class BulkFilterInput {
  @Field(() => StudioEnum, { nullable: true })
  studio?: Studio | null;

  @Field(() => String, { nullable: true, description: 'Only results under this folder (images/gemini).' })
  pathPrefix?: string | null;

  @Field(() => DateTime, { nullable: true, description: 'Finalized at or after this time.' })
  createdAfter?: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'Finalized before this time.' })
  createdBefore?: Date | null;
}

@InputType({
  description: 'Move results from one storage location to another: offload existing results (from the results disk), move buckets, or download back.',
})
class MoveResultsInput {
  @Field(() => ID)
  sourceLocationId!: string;

  @Field(() => ID)
  targetLocationId!: string;

  @Field(() => Boolean, { defaultValue: false, description: 'Delete each source object (or local file) once its copy is verified and recorded.' })
  deleteSource!: boolean;

  @Field(() => BulkFilterInput, { nullable: true })
  filter?: BulkFilterInput | null;
}

@InputType({ description: 'Delete the local copies of a bucket’s results whose stored objects read back exactly as recorded.' })
class RemoveLocalCopiesInput {
  @Field(() => ID, { description: 'The bucket location whose results’ local copies go.' })
  locationId!: string;

  @Field(() => BulkFilterInput, { nullable: true })
  filter?: BulkFilterInput | null;
}

@InputType({
  description:
    'Read stored objects back and compare them with their recorded SHA-256 (a scrub); mismatched or missing ones are marked, and repaired from a local copy where one exists.',
})
class VerifyStoredObjectsInput {
  @Field(() => ID)
  locationId!: string;

  @Field(() => BulkFilterInput, { nullable: true })
  filter?: BulkFilterInput | null;

  @Field(() => Int, { nullable: true, description: 'Check at most this many results, from a random place (a sample); null: all.' })
  sample?: number | null;
}

@ObjectType({ description: 'What a bulk job would take, counted now (a dry run).' })
class BulkPlan {
  @Field(() => Float)
  items!: number;

  @Field(() => Float)
  bytes!: number;

  @Field(() => Boolean, {
    description: 'True when counted from a random sample of the results (a folder or dates over millions of results), not exactly: about this many.',
  })
  estimated!: boolean;
}

@ObjectType({ description: 'A result a bulk job could not process, and why.' })
class BulkJobFailure {
  @Field(() => ID)
  creativeId!: string;

  @Field(() => String, { nullable: true, description: 'Null when the result has been deleted since.' })
  path!: string | null;

  @Field(() => String)
  error!: string;

  @Field(() => DateTime)
  failedAt!: Date;
}

@ObjectType({ description: 'The filter a bulk job was started with.' })
class BulkFilter {
  @Field(() => StudioEnum, { nullable: true })
  studio!: Studio | null;

  @Field(() => String, { nullable: true })
  pathPrefix!: string | null;

  @Field(() => DateTime, { nullable: true })
  createdAfter!: Date | null;

  @Field(() => DateTime, { nullable: true })
  createdBefore!: Date | null;
}

@ObjectType({ description: 'A move of many results between storage locations, run a batch at a time by the offload workers, behind new results.' })
class BulkJob {
  @Field(() => ID)
  id!: string;

  @Field(() => BulkJobKindEnum)
  kind!: BulkJobKind;

  @Field(() => BulkJobStateEnum)
  state!: BulkJobState;

  @Field(() => BulkFilter)
  filter!: BulkFilter;

  @Field(() => Boolean)
  deleteSource!: boolean;

  @Field(() => Float, { nullable: true, description: 'At most this many results (a sample); null: every result the filter selects.' })
  limitItems!: number | null;

  @Field(() => Float, { description: 'Results the filter selected when the job started.' })
  plannedItems!: number;

  @Field(() => Float)
  plannedBytes!: number;

  @Field(() => Boolean, { description: 'The planned numbers are an estimate (see BulkPlan.estimated); exact once the job completes.' })
  plannedEstimated!: boolean;

  @Field(() => Float, { description: 'Results moved, each verified at the target.' })
  doneItems!: number;

  @Field(() => Float)
  doneBytes!: number;

  @Field(() => Float, { description: 'Results that were deleted or moved elsewhere before their turn.' })
  skippedItems!: number;

  @Field(() => Float, { description: 'Results that failed and were left where they were (see failures).' })
  failedItems!: number;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field(() => String)
  createdBy!: string;

  @Field(() => DateTime)
  createdAt!: Date;

  @Field(() => DateTime, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => DateTime)
  updatedAt!: Date;

  row!: BulkJobRow;
}

const view = (row: BulkJobRow): BulkJob =>
  Object.assign(new BulkJob(), {
    ...row,
    row,
    filter: {
      studio: row.filter.studio ?? null,
      pathPrefix: row.filter.pathPrefix ?? null,
      createdAfter: row.filter.createdAfter ? new Date(row.filter.createdAfter) : null,
      createdBefore: row.filter.createdBefore ? new Date(row.filter.createdBefore) : null,
    },
  });

const service = (ctx: Context) => new BulkJobsService(ctx, ctx.config.resultsDir);

function filterOf(filter: BulkFilterInput | null | undefined): Filter {
  return {
    ...(filter?.studio ? { studio: filter.studio } : {}),
    ...(filter?.pathPrefix ? { pathPrefix: filter.pathPrefix } : {}),
    ...(filter?.createdAfter ? { createdAfter: filter.createdAfter.toISOString() } : {}),
    ...(filter?.createdBefore ? { createdBefore: filter.createdBefore.toISOString() } : {}),
  };
}

const moveOf = (input: MoveResultsInput): BulkRequest =>
  moveRequest({
    sourceLocationId: locationIdOf(input.sourceLocationId, 'sourceLocationId'),
    targetLocationId: locationIdOf(input.targetLocationId, 'targetLocationId'),
    deleteSource: input.deleteSource,
    filter: filterOf(input.filter),
  });
const removeLocalOf = (input: RemoveLocalCopiesInput): BulkRequest => ({
  kind: 'REMOVE_LOCAL',
  sourceLocationId: locationIdOf(input.locationId, 'locationId'),
  targetLocationId: null,
  deleteSource: false,
  filter: filterOf(input.filter),
  sample: null,
});
const verifyOf = (input: VerifyStoredObjectsInput): BulkRequest => ({
  kind: 'VERIFY',
  sourceLocationId: locationIdOf(input.locationId, 'locationId'),
  targetLocationId: null,
  deleteSource: false,
  filter: filterOf(input.filter),
  sample: input.sample ?? null,
});
const SCAN: BulkRequest = { kind: 'SCAN', sourceLocationId: 1, targetLocationId: null, deleteSource: false, filter: {}, sample: null };
const actorOf = (ctx: Context) => (ctx.actor?.kind === 'admin' ? ctx.actor.email : 'admin');

@Resolver(() => BulkJob)
export class BulkJobResolver {
  @Authorized(ADMIN_ROLE)
  @Query(() => BulkPlan, { description: 'How many results, and bytes, a move would take now: its dry run.' })
  planMoveResults(@Arg('input', () => MoveResultsInput) input: MoveResultsInput, @Ctx() ctx: Context): Promise<BulkPlan> {
    return service(ctx).plan(moveOf(input));
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => BulkJob, { description: 'Starts moving the results the filter selects; it runs behind new results’ offloads.' })
  async moveResults(@Arg('input', () => MoveResultsInput) input: MoveResultsInput, @Ctx() ctx: Context): Promise<BulkJob> {
    return view(await service(ctx).start(moveOf(input), actorOf(ctx)));
  }

  @Authorized(ADMIN_ROLE)
  @Query(() => BulkPlan, { description: 'How many local copies, and bytes, removeLocalCopies would delete now.' })
  planRemoveLocalCopies(@Arg('input', () => RemoveLocalCopiesInput) input: RemoveLocalCopiesInput, @Ctx() ctx: Context): Promise<BulkPlan> {
    return service(ctx).plan(removeLocalOf(input));
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => BulkJob, { description: 'Deletes local copies, each only after its stored object reads back as recorded.' })
  async removeLocalCopies(@Arg('input', () => RemoveLocalCopiesInput) input: RemoveLocalCopiesInput, @Ctx() ctx: Context): Promise<BulkJob> {
    return view(await service(ctx).start(removeLocalOf(input), actorOf(ctx)));
  }

  @Authorized(ADMIN_ROLE)
  @Query(() => BulkPlan, { description: 'How many stored objects, and bytes, verifyStoredObjects would read back now.' })
  planVerifyStoredObjects(@Arg('input', () => VerifyStoredObjectsInput) input: VerifyStoredObjectsInput, @Ctx() ctx: Context): Promise<BulkPlan> {
    return service(ctx).plan(verifyOf(input));
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => BulkJob, { description: 'Reads stored objects back and compares each with its recorded SHA-256 (a scrub).' })
  async verifyStoredObjects(@Arg('input', () => VerifyStoredObjectsInput) input: VerifyStoredObjectsInput, @Ctx() ctx: Context): Promise<BulkJob> {
    return view(await service(ctx).start(verifyOf(input), actorOf(ctx)));
  }

  @Authorized(ADMIN_ROLE)
  @Query(() => BulkPlan, { description: 'How many results on the results disk, and bytes, were never finalized (what scanResultsDisk would register).' })
  planScanResultsDisk(@Ctx() ctx: Context): Promise<BulkPlan> {
    return service(ctx).plan(SCAN);
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => BulkJob, {
    description:
      'Registers the results on the results disk that were never finalized, as local results (studio from the folder, type from the extension), ' +
      'so a move can offload them.',
  })
  async scanResultsDisk(@Ctx() ctx: Context): Promise<BulkJob> {
    return view(await service(ctx).start(SCAN, actorOf(ctx)));
  }

  @Authorized(ADMIN_ROLE)
  @Query(() => [BulkJob], { description: 'Running and paused jobs first, then the latest finished ones.' })
  async bulkJobs(@Arg('limit', () => Int, { defaultValue: 50 }) limit: number, @Ctx() ctx: Context): Promise<BulkJob[]> {
    return (await service(ctx).list(limit)).map(view);
  }

  @Authorized(ADMIN_ROLE)
  @Query(() => BulkJob)
  async bulkJob(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<BulkJob> {
    return view(await service(ctx).get(id));
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => BulkJob)
  async pauseBulkJob(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<BulkJob> {
    return view(await service(ctx).pause(id));
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => BulkJob)
  async resumeBulkJob(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<BulkJob> {
    return view(await service(ctx).resume(id));
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => BulkJob)
  async cancelBulkJob(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<BulkJob> {
    return view(await service(ctx).cancel(id));
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => BulkJob, { description: 'Tries the job’s failed results again.' })
  async retryBulkJobFailures(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<BulkJob> {
    return view(await service(ctx).retryFailures(id));
  }

  @FieldResolver(() => StorageLocationType)
  async source(@Root() job: BulkJob, @Ctx() ctx: Context): Promise<StorageLocationType> {
    return locationView(await ctx.locations.require(job.row.sourceLocationId), ctx);
  }

  @FieldResolver(() => StorageLocationType, { nullable: true, description: 'Where a move copies to; null for the other kinds.' })
  async target(@Root() job: BulkJob, @Ctx() ctx: Context): Promise<StorageLocationType | null> {
    return job.row.targetLocationId === null ? null : locationView(await ctx.locations.require(job.row.targetLocationId), ctx);
  }

  @FieldResolver(() => Float, { nullable: true, description: 'Bytes per second since the job started (null before any result is done).' })
  bytesPerSecond(@Root() job: BulkJob): number | null {
    return progressOf(job.row).bytesPerSecond;
  }

  @FieldResolver(() => Float, { description: 'Results finished either way: done, skipped or failed (for a scan, registered: the files it counts as planned).' })
  finishedItems(@Root() job: BulkJob): number {
    return progressOf(job.row).finishedItems;
  }

  @FieldResolver(() => Int, { description: 'finishedItems as a whole percentage of those planned, at most 100.' })
  percent(@Root() job: BulkJob): number {
    return progressOf(job.row).percent;
  }

  @FieldResolver(() => Float, { nullable: true, description: 'Results per second since the job started.' })
  itemsPerSecond(@Root() job: BulkJob): number | null {
    return progressOf(job.row).itemsPerSecond;
  }

  @FieldResolver(() => Float, { nullable: true, description: 'Seconds left at the rate so far, for a running job.' })
  etaSeconds(@Root() job: BulkJob): number | null {
    return progressOf(job.row).etaSeconds;
  }

  @FieldResolver(() => [BulkJobFailure])
  failures(@Root() job: BulkJob, @Arg('limit', () => Int, { defaultValue: 50 }) limit: number, @Ctx() ctx: Context): Promise<BulkJobFailure[]> {
    return service(ctx).failures(job.row.id, limit);
  }
}
