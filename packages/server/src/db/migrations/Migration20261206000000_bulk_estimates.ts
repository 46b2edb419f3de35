import { Migration } from '@mikro-orm/migrations';

export class Migration20261206000000_bulk_estimates extends Migration {
  override async up(): Promise<void> {
    // A job over a folder or dates in a large location starts from an estimate of its size (an
    // exact count there takes seconds at millions of results); it says so until it completes.
    this.addSql(`alter table "bulk_job" add column "planned_estimated" boolean not null default false;`);
    // A folder's results in a location, in byte order: its dry run counts a small folder exactly
    // by reading just its range, and a job over it finds its results without reading the rest.
    this.addSql(`create index "creative_location_path_index" on "creative" ("location_id", "path" collate "C");`);
    // The local copies of a bucket's results: what removing them would take, counted exactly while they are few.
    this.addSql(`create index "creative_local_copy_index" on "creative" ("location_id") where "local_copy" and "offload_status" = 'OFFLOADED';`);
    // The worker's tick asks which moves' temporary copies still belong to a held lease: the few leased results.
    this.addSql(`create index "creative_lease_token_index" on "creative" ("lease_token") where "lease_token" is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "creative_lease_token_index";`);
    this.addSql(`drop index "creative_local_copy_index";`);
    this.addSql(`drop index "creative_location_path_index";`);
    this.addSql(`alter table "bulk_job" drop column "planned_estimated";`);
  }
}
