import type { EntityManager } from '@mikro-orm/postgresql';

type Connection = ReturnType<EntityManager['getConnection']>;

/** The `rate_limit` table: attempts per (bucket, key) in a fixed window, shared by every process. */
export class RateLimitRepository {
  constructor(private readonly connection: Connection) {}

  /** The window's count and when it ends, or null when no window is open. */
  async current(bucket: string, key: string): Promise<{ count: number; resetAt: Date } | null> {
    const [row] = (await this.connection.execute(`select count, reset_at from rate_limit where bucket = ? and key = ? and reset_at > now()`, [
      bucket,
      key,
    ])) as { count: number; reset_at: Date }[];
    return row ? { count: Number(row.count), resetAt: new Date(row.reset_at) } : null;
  }

  /** Counts one attempt, opening a new window of `windowMs` when none is open. */
  async hit(bucket: string, key: string, windowMs: number): Promise<void> {
    await this.connection.execute(
      `insert into rate_limit (bucket, key, count, reset_at) values (?, ?, 1, now() + (? * interval '1 millisecond'))
       on conflict (bucket, key) do update set
         count = case when rate_limit.reset_at <= now() then 1 else rate_limit.count + 1 end,
         reset_at = case when rate_limit.reset_at <= now() then excluded.reset_at else rate_limit.reset_at end`,
      [bucket, key, windowMs],
    );
  }

  async reset(bucket: string, key: string): Promise<void> {
    await this.connection.execute(`delete from rate_limit where bucket = ? and key = ?`, [bucket, key]);
  }

  /** Forgets windows that ended. */
  async sweep(): Promise<void> {
    await this.connection.execute(`delete from rate_limit where reset_at <= now()`);
  }
}
