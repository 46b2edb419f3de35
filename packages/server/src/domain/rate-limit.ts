import { tooManyRequests } from './errors.js';

/** Where attempts are counted: PostgreSQL, so every API process shares one count (db/rate-limit.repository.ts). */
export interface RateLimitStore {
  current(bucket: string, key: string): Promise<{ count: number; resetAt: Date } | null>;
  hit(bucket: string, key: string, windowMs: number): Promise<void>;
  reset(bucket: string, key: string): Promise<void>;
  sweep(): Promise<void>;
}

/**
 * Counts attempts per key in a fixed window — failed sign-ins per client address, connection
 * tests — in the database, so two API processes do not double the allowance.
 */
export class RateLimiter {
  constructor(
    private readonly store: RateLimitStore,
    /** The counter's name: `sign-in`, `connection-test`. */
    private readonly bucket: string,
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Seconds until `key` may try again, or 0 when it may now. Does not count the attempt. */
  async retryAfter(key: string): Promise<number> {
    const window = await this.store.current(this.bucket, key);
    if (!window || window.count < this.limit) return 0;
    return Math.max(1, Math.ceil((window.resetAt.getTime() - Date.now()) / 1000));
  }

  /** Counts an attempt that is limited whether it succeeds or not; refuses it (TOO_MANY_REQUESTS, naming `what`) when none is left. */
  async consume(key: string, what: string): Promise<void> {
    const wait = await this.retryAfter(key);
    if (wait > 0) throw tooManyRequests(what, wait);
    await this.hit(key);
  }

  async hit(key: string): Promise<void> {
    await this.store.hit(this.bucket, key, this.windowMs);
    // Now and then, ended windows go (a table of addresses must not only grow).
    if (Math.random() < 0.01) await this.store.sweep();
  }

  async reset(key: string): Promise<void> {
    await this.store.reset(this.bucket, key);
  }
}
