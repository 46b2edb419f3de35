import { Migration } from '@mikro-orm/migrations';

export class Migration20261125040000_local_delete_pending extends Migration {
  override async up(): Promise<void> {
    // Set with OFFLOADED when "Delete local copy" was on: a crash before the file is removed
    // leaves the intent behind, and a worker finishes it.
    this.addSql(`alter table "creative" add column "local_delete_pending" boolean not null default false;`);
    this.addSql(`create index "creative_local_delete_pending_index" on "creative" ("id") where "local_delete_pending";`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table "creative" drop column "local_delete_pending";');
  }
}
