import { Migration } from '@mikro-orm/migrations';

export class Migration20261125030000_offload_workers extends Migration {
  override async up(): Promise<void> {
    // Live offload workers; a worker whose heartbeat stops has crashed, and its jobs are unlocked.
    this.addSql(`create table "offload_worker" (
      "worker_id" text not null primary key,
      "heartbeat_at" timestamptz not null default now()
    );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "offload_worker";');
  }
}
