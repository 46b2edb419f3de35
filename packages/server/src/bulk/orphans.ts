import type { EntityManager } from '@mikro-orm/postgresql';
import type { BucketDriver } from '../storage/drivers/driver.js';

export type Difference =
  /** An object under the location's key prefix that no result references. */
  | { kind: 'orphan'; key: string; size: number; lastModified: Date | undefined }
  /** A result whose object the listing does not have. */
  | { kind: 'missing'; creativeId: string; key: string; size: number };

const PAGE = 1000;

/**
 * The locations that store into the same bucket as this one: itself, and any other provider set up
 * on the same endpoint and bucket (an S3 preset and the R2 plugin pointed at one R2 bucket). Their
 * objects share one listing, so an object is an orphan only if none of them references it.
 */
export const SAME_BUCKET = `(select s.id from storage_location s join storage_location me on me.id = ?
  where s.bucket = me.bucket and lower(s.endpoint) = lower(me.endpoint))`;

/**
 * The results stored in the location's bucket, by object key in byte order (the order buckets list
 * in), a page at a time: each location's next keys read as a range of its (location, key) index,
 * and merged.
 */
async function* recordedKeys(em: EntityManager, locationId: number): AsyncGenerator<{ id: string; key: string; size: number }> {
  const locations = ((await em.execute(`select id from ${SAME_BUCKET} l`, [locationId])) as { id: number }[]).map((l) => Number(l.id));
  let after: string | null = null;
  for (;;) {
    const range = `(select id, object_key, size from creative where location_id = ? and object_key is not null
        ${after === null ? '' : 'and object_key collate "C" > ?'} order by object_key collate "C" limit ?)`;
    const rows = (await em.execute(`select * from (${locations.map(() => range).join(' union all ')}) t order by object_key collate "C" limit ?`, [
      ...locations.flatMap((id) => [id, ...(after === null ? [] : [after]), PAGE]),
      PAGE,
    ])) as { id: string; object_key: string; size: string }[];
    for (const r of rows) yield { id: r.id, key: r.object_key, size: Number(r.size) };
    if (rows.length < PAGE) return;
    after = rows.at(-1)!.object_key;
  }
}

/**
 * The differences between a bucket location and the results that say they live there: one pass
 * that merges the bucket's listing under `prefix` with the results' keys, both in byte order,
 * so neither side is ever held in memory (a bucket of millions of objects streams through).
 * Results outside the prefix (stored under an earlier key prefix) are compared only when listed.
 */
export async function* differences(em: EntityManager, locationId: number, driver: BucketDriver, prefix: string): AsyncGenerator<Difference> {
  const listing = driver.list(prefix)[Symbol.asyncIterator]();
  const recorded = recordedKeys(em, locationId);
  let object = await listing.next();
  let result = await recorded.next();
  const inPrefix = (key: string) => key.startsWith(prefix);
  let matched: string | null = null;
  while (!object.done || !result.done) {
    // Outside the prefix, or a second result on an object already matched (two locations of one bucket).
    if (!result.done && (!inPrefix(result.value.key) || result.value.key === matched)) {
      result = await recorded.next();
      continue;
    }
    const order = object.done ? 1 : result.done ? -1 : Buffer.compare(Buffer.from(object.value.key), Buffer.from(result.value.key));
    if (order === 0) {
      matched = object.value!.key;
      object = await listing.next();
      result = await recorded.next();
    } else if (order < 0) {
      yield { kind: 'orphan', key: object.value!.key, size: object.value!.size, lastModified: object.value!.lastModified };
      object = await listing.next();
    } else {
      yield { kind: 'missing', creativeId: result.value!.id, key: result.value!.key, size: result.value!.size };
      result = await recorded.next();
    }
  }
}

/** Whether any result references this object of the location's bucket now: checked again just before an orphan or a moved source is deleted. */
export async function referenced(em: EntityManager, locationId: number, key: string): Promise<boolean> {
  const rows = await em.execute(
    `select 1 from creative where location_id in ${SAME_BUCKET} and object_key is not null and object_key collate "C" = ? limit 1`,
    [locationId, key],
  );
  return rows.length > 0;
}
