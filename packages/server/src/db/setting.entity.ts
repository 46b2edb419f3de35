import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * One named settings entry: the Default Storage choice, a provider's encrypted settings, …
 * Adding a provider adds an entry, never a column.
 */
@Entity({ tableName: 'setting' })
export class Setting {
  @PrimaryKey({ type: 'string', length: 100 })
  key!: string;

  @Property({ type: 'json' })
  value!: unknown;

  @Property({ type: 'datetime', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
