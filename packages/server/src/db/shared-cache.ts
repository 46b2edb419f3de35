import pg from 'pg';
import type { Logger } from '../log/logger.js';

export type CachedTable = 'setting' | 'api_token' | 'storage_location';
const CHANNEL = 'offload_cache';
const RECONNECT_MS = 1000;

/**
 * Per-process caches of rows that are read on every call and rarely change (settings, API
 * tokens), kept coherent across processes by PostgreSQL itself: triggers NOTIFY on every change
 * and each process LISTENs on a connection of its own, forgetting the table it hears about.
 * Without that connection (not connected yet, or lost) nothing is cached and every read goes to
 * the database, so a missed notification can never serve stale data.
 */
export class SharedCache {
  private client: pg.Client | undefined;
  private listening = false;
  private stopped = false;
  /** Set after the first connection: later ones are recoveries. */
  private recovering = false;
  private readonly tables = new Map<CachedTable, Map<string, Promise<unknown>>>();

  constructor(
    private readonly databaseUrl: string,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    client.on('notification', (message) => this.invalidate(message.payload as CachedTable));
    const lost = (error?: Error) => {
      if (this.client !== client) return;
      const wasListening = this.listening;
      this.listening = false;
      this.client = undefined;
      this.tables.clear();
      if (this.stopped) return;
      // Once per outage, not once per reconnection attempt.
      if (wasListening)
        this.logger.warn(
          { err: error && { message: error.message } },
          'cache notifications lost; reading settings and tokens from the database until they are back',
        );
      setTimeout(() => void this.start().catch(() => undefined), RECONNECT_MS).unref();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    this.client = client;
    try {
      await client.connect();
      await client.query(`listen ${CHANNEL}`);
    } catch (error) {
      lost(error as Error);
      return;
    }
    // Not a reason to keep the process alive.
    (client as unknown as { connection: { stream: { unref(): void } } }).connection.stream.unref();
    this.tables.clear();
    this.listening = true;
    if (this.recovering) this.logger.info('cache notifications are back');
    this.recovering = true;
  }

  /** The cached value of `key`, or what `load` finds (cached unless null). */
  read<T>(table: CachedTable, key: string, load: () => Promise<T | null>): Promise<T | null> {
    if (!this.listening) return load();
    let entries = this.tables.get(table);
    if (!entries) this.tables.set(table, (entries = new Map()));
    const cached = entries.get(key) as Promise<T | null> | undefined;
    if (cached) return cached;
    const loading = load();
    entries.set(key, loading);
    const forget = () => entries.get(key) === loading && entries.delete(key);
    loading.then((value) => value === null && forget(), forget);
    return loading;
  }

  /** Forgets a table in this process (other processes hear of it from the trigger). */
  invalidate(table: CachedTable): void {
    this.tables.get(table)?.clear();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.listening = false;
    await this.client?.end().catch(() => undefined);
  }
}

/** What services use of the cache. */
export type CacheReader = Pick<SharedCache, 'read' | 'invalidate'>;

/** A cache that caches nothing: every read goes to the database. */
export const UNCACHED: CacheReader = { read: (_t, _k, load) => load(), invalidate: () => undefined };
