import { Migration } from '@mikro-orm/migrations';

export class Migration20261126020000_overview_indexes extends Migration {
  override async up(): Promise<void> {
    // The overview at 10 million results: failed offloads counted and listed newest first from a
    // small partial index, and the last day's offloads (with their bytes) read from the index alone.
    this.addSql(`create index "creative_failed_index" on "creative" ("updated_at" desc) where "offload_status" = 'FAILED';`);
    this.addSql(`create index "creative_offloaded_at_index" on "creative" ("offloaded_at") include ("size") where "offloaded_at" is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index "creative_offloaded_at_index";');
    this.addSql('drop index "creative_failed_index";');
  }
}
