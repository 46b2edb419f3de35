import { Migration } from '@mikro-orm/migrations';

export class Migration20261125020000_creatives extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "creative" (
      "id" uuid not null primary key,
      "path" varchar(1024) not null unique,
      "studio" text check ("studio" in ('IMAGE', 'VIDEO')) not null,
      "content_type" varchar(255) not null,
      "metadata" jsonb not null default '{}',
      "size" bigint not null,
      "sha256" varchar(64) null,
      "location" varchar(32) not null default 'local',
      "object_key" varchar(1100) null,
      "target_provider" varchar(32) null,
      "offload_status" text check ("offload_status" in ('LOCAL', 'QUEUED', 'UPLOADING', 'OFFLOADED', 'FAILED')) not null,
      "last_error" text null,
      "local_copy" boolean not null default true,
      "offload_attempts" int not null default 0,
      "lease_token" uuid null,
      "lease_expires_at" timestamptz null,
      "created_at" timestamptz not null default now(),
      "updated_at" timestamptz not null default now(),
      "offloaded_at" timestamptz null
    );`);
    this.addSql(`create index "creative_created_at_id_index" on "creative" ("created_at" desc, "id" desc);`);
    // The sweeper looks only at unfinished offloads.
    this.addSql(
      `create index "creative_unfinished_index" on "creative" ("offload_status", "lease_expires_at") where "offload_status" in ('QUEUED', 'UPLOADING');`,
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "creative";');
  }
}
