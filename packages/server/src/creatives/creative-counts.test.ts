import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OFFLOAD_STATUSES, STORAGE_KEYS, graphqlEnumName, type StorageKey } from '@offload/types';
import { startTestApp, type TestApp } from '../../test/harness.js';
import { LOCAL_LOCATION_ID } from '../storage/storage-locations.service.js';
import type { CreativeRepository } from './creative.repository.js';
import type { Studio } from './creative.entity.js';

const LOCATIONS: (StorageKey | null)[] = [null, ...STORAGE_KEYS];
const STATUSES = [null, ...OFFLOAD_STATUSES];
const STUDIOS: (Studio | null)[] = [null, 'IMAGE', 'VIDEO'];

/** Every filter combination the API offers, by provider; plus each location on its own. */
const combinations = (locationIds: number[]) => [
  ...LOCATIONS.flatMap((location) => STATUSES.flatMap((status) => STUDIOS.map((studio) => ({ location, locationId: null as number | null, status, studio })))),
  ...locationIds.map((locationId) => ({ location: null, locationId, status: null, studio: null })),
];
type Combination = ReturnType<typeof combinations>[number];

describe('creative counts and filtered pages at any size', () => {
  let app: TestApp;
  let platform: Record<string, string>;
  let admin: Record<string, string>;
  let repository: () => CreativeRepository;
  let r2: number;
  let r2Retired: number;
  let s3: number;

  const sql = <T = Record<string, unknown>>(query: string, params: unknown[] = []) => app.orm.em.fork().execute(query, params) as Promise<T[]>;

  beforeAll(async () => {
    app = await startTestApp();
    repository = () => app.runtime.scope().creativeRepository;
    const location = async (provider: string, identity: string) =>
      Number(
        (
          await sql<{ id: number }>(`insert into storage_location (provider, identity, bucket, current) values (?, ?, ?, true) returning id`, [
            provider,
            identity,
            identity,
          ])
        )[0]!.id,
      );
    r2Retired = await location('cloudflare-r2', 'r2-retired');
    await sql(`update storage_location set current = false where id = ?`, [r2Retired]);
    r2 = await location('cloudflare-r2', 'r2-current');
    s3 = await location('amazon-s3', 's3');
    platform = await app.tokenHeaders(['CREATIVES_READ', 'CREATIVES_WRITE']);
    admin = await app.adminHeaders();
  });
  afterAll(async () => {
    await app?.stop();
  });

  /** The combination as a where clause over the creative table, written independently of the repository. */
  function whereOf(c: Combination): { sql: string; params: unknown[] } {
    const clauses: [string, unknown][] = [];
    if (c.location) clauses.push([`location_id in (select id from storage_location where provider = ?)`, c.location]);
    if (c.locationId) clauses.push([`location_id = ?`, c.locationId]);
    if (c.status) clauses.push([`offload_status = ?`, c.status]);
    if (c.studio) clauses.push([`studio = ?`, c.studio]);
    return { sql: clauses.length ? `where ${clauses.map(([w]) => w).join(' and ')}` : '', params: clauses.map(([, p]) => p) };
  }

  /** What the table holds, counted row by row. */
  async function truth(c: Combination): Promise<number> {
    const where = whereOf(c);
    const [row] = await sql<{ n: number }>(`select count(*)::int as n from creative ${where.sql}`, where.params);
    return row!.n;
  }

  const args = (c: Combination) =>
    [
      c.location && `location: ${graphqlEnumName(c.location)}`,
      c.locationId && `locationId: "${c.locationId}"`,
      c.status && `status: ${c.status}`,
      c.studio && `studio: ${c.studio}`,
    ].filter(Boolean);

  /** Every combination's creativeCount (15 to a request: the API's alias limit), against count(*); and the overview's queue. */
  async function expectExactCounts(): Promise<void> {
    const all = combinations([LOCAL_LOCATION_ID, r2, r2Retired, s3]);
    const shown: (Combination & { count: number })[] = [];
    for (let from = 0; from < all.length; from += 15) {
      const some = all.slice(from, from + 15);
      const query = `{ ${some.map((c, i) => `c${i}: creativeCount${args(c).length ? `(${args(c).join(', ')})` : ''}`).join(' ')} }`;
      const res = await app.graphql<Record<string, number>>(query, {}, platform);
      if (!res.data) throw new Error(JSON.stringify(res.errors));
      shown.push(...some.map((c, i) => ({ ...c, count: res.data![`c${i}`]! })));
    }
    const counted = await Promise.all(all.map(async (c) => ({ ...c, count: await truth(c) })));
    expect(shown).toEqual(counted);

    const overview = await app.graphql<{ overview: { queue: Record<string, number> } }>('{ overview { queue { queued uploading failed } } }', {}, admin);
    const [queue] = await sql(
      `select count(*) filter (where offload_status = 'QUEUED')::int as queued, count(*) filter (where offload_status = 'UPLOADING')::int as uploading,
         count(*) filter (where offload_status = 'FAILED')::int as failed from creative`,
    );
    expect(overview.data?.overview.queue).toEqual(queue);
  }

  /** Inserts `n` creatives in one statement, as a batch of finalizes does; returns their ids. */
  async function finalizeBatch(n: number, studio: Studio, target: 'cloudflare-r2' | null): Promise<string[]> {
    const rows = Array.from({ length: n }, () => ({ id: randomUUID(), studio, target }));
    await Promise.all(
      rows.map((r) =>
        repository().insertFinalized({
          id: r.id,
          path: `images/${r.id}.png`,
          studio: r.studio,
          content_type: 'image/png',
          metadata: {},
          size: 1000,
          target_provider: r.target,
          offload_status: r.target ? 'QUEUED' : 'LOCAL',
        }),
      ),
    );
    return rows.map((r) => r.id);
  }

  async function offload(id: string, locationId: number, size: number): Promise<void> {
    const token = randomUUID();
    expect(await repository().claimForUpload(id, token, 60)).not.toBeNull();
    await repository().finishUpload(id, token, { kind: 'offloaded', locationId, objectKey: `k/${id}`, sha256: 'a'.repeat(64), size, deleteLocalCopy: false });
  }

  async function fail(id: string): Promise<void> {
    const token = randomUUID();
    expect(await repository().claimForUpload(id, token, 60)).not.toBeNull();
    await repository().finishUpload(id, token, { kind: 'attempt-failed', error: 'gone', final: true });
  }

  it('every count is exact through finalizes, uploads, failures, retries, moves and deletes — before and after the changes are folded', async () => {
    await expectExactCounts();
    const images = await finalizeBatch(12, 'IMAGE', 'cloudflare-r2');
    const videos = await finalizeBatch(5, 'VIDEO', 'cloudflare-r2');
    const local = await finalizeBatch(4, 'VIDEO', null);
    await expectExactCounts();

    // Uploads end in three locations (one of them with a size corrected on upload), two fail for good, one stays uploading.
    for (const id of images.slice(0, 5)) await offload(id, r2, 2000);
    for (const id of images.slice(5, 7)) await offload(id, r2Retired, 1000);
    await offload(videos[0]!, s3, 5000);
    await fail(images[7]!);
    await fail(videos[1]!);
    const lease = randomUUID();
    expect(await repository().claimForUpload(images[8]!, lease, 60)).not.toBeNull();
    await repository().renewLease(images[8]!, lease, 60); // an update that changes no group
    await expectExactCounts();

    expect(await repository().foldTally()).toBeGreaterThan(0);
    expect(await sql('select count(*)::int as n from creative_tally_change')).toEqual([{ n: 0 }]);
    await expectExactCounts();

    // A retry, a move of a whole location in one statement, deletes one at a time and many at once.
    await repository().requeueFailed(images[7]!, 'cloudflare-r2');
    await sql(`update creative set location_id = ? where location_id = ?`, [r2, r2Retired]);
    await repository().remove(local[0]!);
    await repository().remove(images[0]!);
    await sql(`delete from creative where studio = 'VIDEO' and offload_status = 'QUEUED'`);
    await expectExactCounts();
    await repository().foldTally();
    await expectExactCounts();

    // Two processes folding at once move each change once.
    await finalizeBatch(3, 'IMAGE', null);
    await Promise.all([repository().foldTally(), repository().foldTally()]);
    await expectExactCounts();
  });

  it('the hourly throughput counts each offload once, in its hour: before and after folding, through later moves and deletes', async () => {
    const since = new Date(Date.now() - 2 * 3_600_000);
    const total = async () =>
      (await repository().offloadsPerHour(since)).reduce((sum, h) => ({ results: sum.results + h.results, bytes: sum.bytes + h.bytes }), {
        results: 0,
        bytes: 0,
      });
    const before = await total();
    const ids = await finalizeBatch(3, 'IMAGE', 'cloudflare-r2');
    expect(await total()).toEqual(before);
    for (const id of ids) await offload(id, r2, 700);
    const after = { results: before.results + 3, bytes: before.bytes + 2100 };
    expect(await total()).toEqual(after);
    expect(await repository().foldOffloadHours(48)).toBeGreaterThan(0);
    expect(await sql('select count(*)::int as n from offload_hour_change')).toEqual([{ n: 0 }]);
    expect(await total()).toEqual(after);
    // A move to another bucket is not another offload; a deleted result's offload still happened.
    await sql(`update creative set location_id = ?, offloaded_at = coalesce(offloaded_at, now()) where id in (?, ?, ?)`, [s3, ...ids]);
    await repository().remove(ids[0]!);
    expect(await total()).toEqual(after);
    // Hours older than the overview shows leave the rollup when it folds.
    await sql(`insert into offload_hour values (date_trunc('hour', now()) - interval '100 hours', 5, 5000)`);
    await repository().foldOffloadHours(48);
    expect(await sql(`select count(*)::int as n from offload_hour where hour < now() - interval '48 hours'`)).toEqual([{ n: 0 }]);
    expect(await total()).toEqual(after);
  });

  it('pages through every filter newest first without skipping or repeating, creatives of one batch (one timestamp) included', async () => {
    // Twelve creatives recorded in one statement share a timestamp to the microsecond; pages of 5 split them.
    await sql(
      `insert into creative (id, path, studio, content_type, size, offload_status, location_id, created_at, updated_at)
       select gen_random_uuid(), 'batch/' || i || '.png', 'IMAGE', 'image/png', 10, 'LOCAL', ?, '2026-01-02 03:04:05.123456+00', now()
       from generate_series(1, 12) i`,
      [LOCAL_LOCATION_ID],
    );
    for (const c of combinations([LOCAL_LOCATION_ID, r2, s3]).filter((c) => !c.status || c.status === 'LOCAL' || c.status === 'OFFLOADED')) {
      const ids: string[] = [];
      let after: string | null = null;
      for (let pages = 0; pages < 20; pages++) {
        const res: { data?: { creatives: { nodes: { id: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }; errors?: unknown } =
          await app.graphql(
            `query($after: String) { creatives(first: 5, after: $after${args(c).length ? `, ${args(c).join(', ')}` : ''}) { nodes { id } pageInfo { hasNextPage endCursor } } }`,
            { after },
            platform,
          );
        if (!res.data) throw new Error(JSON.stringify(res.errors));
        ids.push(...res.data.creatives.nodes.map((n) => n.id));
        if (!res.data.creatives.pageInfo.hasNextPage) break;
        after = res.data.creatives.pageInfo.endCursor;
      }
      const where = whereOf(c);
      const expected = await sql<{ id: string }>(`select id from creative ${where.sql} order by created_at desc, id desc`, where.params);
      expect({ ...c, ids }).toEqual({ ...c, ids: expected.map((r) => r.id) });
    }
  });

  it('still accepts a cursor of the earlier millisecond format, and refuses one that is not a cursor', async () => {
    const [newest] = await sql<{ id: string; created_at: Date }>(`select id, created_at from creative order by created_at desc, id desc limit 1`);
    const old = Buffer.from(`${new Date(newest!.created_at).toISOString()}|${newest!.id}`).toString('base64url');
    const res = await app.graphql<{ creatives: { nodes: unknown[] } }>(
      'query($a: String) { creatives(first: 1, after: $a) { nodes { id } } }',
      { a: old },
      platform,
    );
    expect(res.errors).toBeUndefined();
    const bad = await app.graphql('query($a: String) { creatives(first: 1, after: $a) { nodes { id } } }', { a: 'bm90IGEgY3Vyc29y' }, platform);
    expect(bad.errors?.[0]).toMatchObject({ message: 'after: not a cursor from this API', extensions: { code: 'BAD_USER_INPUT' } });
  });
});
