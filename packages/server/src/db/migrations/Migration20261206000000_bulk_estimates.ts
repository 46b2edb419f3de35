import { Migration } from '@mikro-orm/migrations';

export class Migration20261206000000_bulk_estimates extends Migration {
  override async up(): Promise<void> {
    // A job over a folder or dates in a large location starts from an estimate of its size (an
    // exact count there takes seconds at millions of results); it says so until it completes.
    this.addSql(`alter table "bulk_job" add column "planned_estimated" boolean not null default false;`);
    // The worker's tick asks which moves' temporary copies still belong to a held lease: the few leased results.
    this.addSql(`create index "creative_lease_token_index" on "creative" ("lease_token") where "lease_token" is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "creative_lease_token_index";`);
    this.addSql(`alter table "bulk_job" drop column "planned_estimated";`);
  }
}
