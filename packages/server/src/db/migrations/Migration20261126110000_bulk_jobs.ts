import { Migration } from '@mikro-orm/migrations';

export class Migration20261126110000_bulk_jobs extends Migration {
  override async up(): Promise<void> {
    // A bulk job walks the results its filter selects in id order; `cursor` is the last id it
    // finished, so a restart resumes after it. Its progress counters are its own row's (one writer:
    // the job's single batch at a time).
    this.addSql(`create table "bulk_job" (
      "id" bigint generated always as identity primary key,
      "kind" varchar(32) not null,
      "state" varchar(16) not null default 'RUNNING',
      "filter" jsonb not null,
      "source_location_id" int references "storage_location" ("id"),
      "target_location_id" int references "storage_location" ("id"),
      "delete_source" boolean not null default false,
      "limit_items" bigint,
      "planned_items" bigint not null,
      "planned_bytes" bigint not null,
      "cursor" uuid,
      "done_items" bigint not null default 0,
      "done_bytes" bigint not null default 0,
      "skipped_items" bigint not null default 0,
      "failed_items" bigint not null default 0,
      "last_error" text,
      "created_by" varchar(320) not null,
      "created_at" timestamptz not null default now(),
      "started_at" timestamptz,
      -- Time spent running, for rates and ETAs that pauses do not skew.
      "running_since" timestamptz,
      "ran_seconds" double precision not null default 0,
      "finished_at" timestamptz,
      "updated_at" timestamptz not null default now(),
      constraint "bulk_job_state_check" check ("state" in ('RUNNING', 'PAUSED', 'CANCELED', 'COMPLETED'))
    );`);
    this.addSql(`create index "bulk_job_created_at_index" on "bulk_job" ("created_at" desc);`);
    // What the last verification of a result's stored object found (OK, MISSING, MISMATCH, REPAIRED), and when.
    this.addSql(`alter table "creative" add column "integrity" varchar(16), add column "integrity_checked_at" timestamptz;`);
    // One row per result that failed in a job: its error; `retry` once the admin asks to try again.
    this.addSql(`create table "bulk_job_failure" (
      "job_id" bigint not null references "bulk_job" ("id") on delete cascade,
      "creative_id" uuid not null,
      "error" text not null,
      "retry" boolean not null default false,
      "failed_at" timestamptz not null default now(),
      primary key ("job_id", "creative_id")
    );`);
    // Objects a move left behind at its source, recorded in the same transaction that switched the
    // result to its verified copy, and deleted after: a crash in between leaves a row, not a stray.
    this.addSql(`create table "bulk_pending_delete" (
      "id" bigint generated always as identity primary key,
      "location_id" int not null references "storage_location" ("id"),
      "object_key" varchar(1100) not null,
      "created_at" timestamptz not null default now()
    );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table "bulk_pending_delete";');
    this.addSql('drop table "bulk_job_failure";');
    this.addSql('drop table "bulk_job";');
    this.addSql('alter table "creative" drop column "integrity", drop column "integrity_checked_at";');
  }
}
