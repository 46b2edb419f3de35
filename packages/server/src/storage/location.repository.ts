import type { EntityManager } from '@mikro-orm/postgresql';
import type { StoragePlace } from '@offload/types';

/** A `storage_location` row; `sealed` is its provider settings (credentials included), encrypted. */
export interface LocationRow {
  id: number;
  provider: string;
  identity: string;
  endpoint: string;
  bucket: string;
  region: string;
  publicUrl: string;
  sealed: unknown;
  current: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface LocationUsage {
  results: number;
  bytes: number;
  lastWrittenAt: Date | null;
}

interface Raw {
  id: number;
  provider: string;
  identity: string;
  endpoint: string;
  bucket: string;
  region: string;
  public_url: string;
  settings: unknown;
  current: boolean;
  created_at: Date;
  updated_at: Date;
}

const row = (r: Raw): LocationRow => ({
  id: Number(r.id),
  provider: r.provider,
  identity: r.identity,
  endpoint: r.endpoint,
  bucket: r.bucket,
  region: r.region,
  publicUrl: r.public_url,
  sealed: r.settings,
  current: r.current,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});

/** The `storage_location` table and its usage counters. Works inside the caller's transaction (`em.execute`). */
export class LocationRepository {
  constructor(private readonly em: EntityManager) {}

  async all(): Promise<LocationRow[]> {
    return ((await this.em.execute(`select * from storage_location order by id`)) as Raw[]).map(row);
  }

  /**
   * Makes `place` its provider's current location — created, or updated with the Public / CDN
   * URL and sealed settings given — and retires the provider's previous one. Returns its id.
   */
  async makeCurrent(place: StoragePlace, publicUrl: string, seal: (identity: string) => unknown): Promise<number> {
    await this.em.execute(`update storage_location set current = false, updated_at = now() where provider = ? and current and identity <> ?`, [
      place.provider,
      place.identity,
    ]);
    const [inserted] = (await this.em.execute(
      `insert into storage_location (provider, identity, endpoint, bucket, region, public_url, settings, current)
       values (?, ?, ?, ?, ?, ?, ?::jsonb, true)
       on conflict (identity) do update set public_url = excluded.public_url, settings = excluded.settings, region = excluded.region, current = true,
         updated_at = now()
       returning id`,
      [place.provider, place.identity, place.endpoint, place.bucket, place.region, publicUrl, JSON.stringify(seal(place.identity))],
    )) as { id: number }[];
    return Number(inserted!.id);
  }

  /** The provider's settings point nowhere complete: none of its locations is current. */
  async retireAll(provider: string): Promise<void> {
    await this.em.execute(`update storage_location set current = false, updated_at = now() where provider = ? and current`, [provider]);
  }

  async update(id: number, change: { publicUrl?: string; sealed?: unknown }): Promise<void> {
    await this.em.execute(
      `update storage_location set public_url = coalesce(?, public_url), settings = coalesce(?::jsonb, settings), updated_at = now() where id = ?`,
      [change.publicUrl ?? null, change.sealed === undefined ? null : JSON.stringify(change.sealed), id],
    );
  }

  /** Every location with sealed settings, locked until the caller's transaction ends (for re-sealing under a new key). */
  async sealedForUpdate(): Promise<{ id: number; identity: string; sealed: unknown }[]> {
    const rows = (await this.em.execute(`select id, identity, settings from storage_location where settings is not null order by id for update`)) as {
      id: number;
      identity: string;
      settings: unknown;
    }[];
    return rows.map((r) => ({ id: Number(r.id), identity: r.identity, sealed: r.settings }));
  }

  /** Deletes a retired location that holds no result; false when it is current or still holds one. */
  async forget(id: number): Promise<boolean> {
    const deleted = await this.em.execute(
      `delete from storage_location l where id = ? and not current and provider <> 'local'
         and not exists (select 1 from creative c where c.location_id = l.id) returning id`,
      [id],
    );
    return deleted.length > 0;
  }

  /** Results, bytes and last write per location: the folded counters plus the changes not folded yet. */
  async usage(): Promise<Map<number, LocationUsage>> {
    const rows = (await this.em.execute(
      `select l.id, l.result_count + coalesce(u.results, 0) as results, l.bytes + coalesce(u.bytes, 0) as bytes,
         greatest(l.last_written_at, u.written_at) as last_written_at
       from storage_location l
       left join (select location_id, sum(results) as results, sum(bytes) as bytes, max(written_at) as written_at
                  from storage_location_usage group by location_id) u on u.location_id = l.id`,
    )) as { id: number; results: string; bytes: string; last_written_at: Date | null }[];
    return new Map(
      rows.map((r) => [
        Number(r.id),
        { results: Number(r.results), bytes: Number(r.bytes), lastWrittenAt: r.last_written_at ? new Date(r.last_written_at) : null },
      ]),
    );
  }

  /** Folds the pending usage changes into the locations' counters, in one statement; returns how many changes. */
  async foldUsage(): Promise<number> {
    const [result] = (await this.em.execute(
      `with moved as (delete from storage_location_usage returning *),
         totals as (select location_id, sum(results) as results, sum(bytes) as bytes, max(written_at) as written_at, count(*) as changes
                    from moved group by location_id),
         folded as (update storage_location l set result_count = l.result_count + t.results, bytes = l.bytes + t.bytes,
                      last_written_at = greatest(l.last_written_at, t.written_at)
                    from totals t where l.id = t.location_id returning t.changes)
       select coalesce(sum(changes), 0)::int as changes from folded`,
    )) as { changes: number }[];
    return Number(result?.changes ?? 0);
  }
}
