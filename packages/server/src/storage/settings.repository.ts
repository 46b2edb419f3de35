import type { EntityManager } from '@mikro-orm/postgresql';

/** The `setting` table: named entries (plugins, encrypted provider settings, the Default Storage choice). */
export class SettingsRepository {
  constructor(private readonly em: EntityManager) {}

  async all(): Promise<Map<string, unknown>> {
    const rows = (await this.em.execute('select key, value from setting')) as { key: string; value: unknown }[];
    return new Map(rows.map((row) => [row.key, row.value]));
  }

  async put(key: string, value: unknown): Promise<void> {
    // On the EntityManager, so it joins the caller's transaction.
    await this.em.execute(
      `insert into setting (key, value, updated_at) values (?, ?::jsonb, now()) on conflict (key) do update set value = excluded.value, updated_at = now()`,
      [key, JSON.stringify(value)],
    );
  }
}
