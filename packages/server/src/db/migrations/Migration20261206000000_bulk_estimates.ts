import { Migration } from '@mikro-orm/migrations';

export class Migration20261206000000_bulk_estimates extends Migration {
  override async up(): Promise<void> {
    // A job over a folder or dates in a large location starts from an estimate of its size (an
    // exact count there takes seconds at millions of results); it says so until it completes.
    this.addSql(`alter table "bulk_job" add column "planned_estimated" boolean not null default false;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "bulk_job" drop column "planned_estimated";`);
  }
}
