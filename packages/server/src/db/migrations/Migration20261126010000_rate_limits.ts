import { Migration } from '@mikro-orm/migrations';

export class Migration20261126010000_rate_limits extends Migration {
  override async up(): Promise<void> {
    // Attempts per key in a fixed window, shared by every API process. Unlogged: a crash of
    // PostgreSQL forgets the counts, which only forgives a few attempts, and each write skips the WAL.
    this.addSql(`create unlogged table "rate_limit" (
      "bucket" varchar(32) not null,
      "key" varchar(255) not null,
      "count" integer not null,
      "reset_at" timestamptz not null,
      primary key ("bucket", "key")
    );`);
    this.addSql(`create index "rate_limit_reset_at_index" on "rate_limit" ("reset_at");`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table "rate_limit";');
  }
}
