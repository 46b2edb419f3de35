import { Migration } from '@mikro-orm/migrations';

export class Migration20261205000000_bulk_scale extends Migration {
  override async up(): Promise<void> {
    // A bulk job walks a location's results in id order, from its cursor.
    this.addSql(`create index "creative_location_id_index" on "creative" ("location_id", "id");`);
    // A location's objects by key in byte order (the order buckets list in): the orphan search
    // pages through it, and nothing is deleted from a bucket while a result still references it.
    this.addSql(`create index "creative_location_object_key_index" on "creative" ("location_id", "object_key" collate "C") where "object_key" is not null;`);
    this.addSql(`create index "bulk_job_failure_job_failed_at_index" on "bulk_job_failure" ("job_id", "failed_at" desc);`);
    // A sample walks from a random id to the end and then from the start up to it (the wrap point).
    this.addSql(`alter table "bulk_job" add column "sample_start" uuid;`);

    // Offloads per hour, kept by the statements that offload (a result's offloaded_at going from
    // unset to set), like the tally: appended changes, folded now and then, read with what is not
    // folded yet. The overview's 24-hour chart is then a sum over at most a few dozen rows,
    // however many results a day brings. History, not state: deleting a result later does not
    // take its offload back.
    this.addSql(`create table "offload_hour" ("hour" timestamptz primary key, "results" bigint not null, "bytes" bigint not null);`);
    this.addSql(`create table "offload_hour_change" ("hour" timestamptz not null, "results" bigint not null, "bytes" bigint not null);`);
    this.addSql(`create view "offload_hour_now" as
      select "hour", sum("results")::bigint as "results", sum("bytes")::bigint as "bytes"
      from (select * from "offload_hour" union all select * from "offload_hour_change") t group by 1;`);
    this.addSql(`insert into "offload_hour" select date_trunc('hour', "offloaded_at"), count(*), coalesce(sum("size"), 0) from "creative"
      where "offloaded_at" >= now() - interval '8 days' group by 1;`);
    this.addSql(`create function offload_hour_added() returns trigger language plpgsql as $$
      begin
        insert into offload_hour_change select date_trunc('hour', offloaded_at), count(*), sum(size) from added where offloaded_at is not null group by 1;
        return null;
      end $$;`);
    this.addSql(`create function offload_hour_changed() returns trigger language plpgsql as $$
      begin
        insert into offload_hour_change select date_trunc('hour', n.offloaded_at), count(*), sum(n.size) from removed o join added n using (id)
          where o.offloaded_at is null and n.offloaded_at is not null group by 1;
        return null;
      end $$;`);
    this.addSql(
      `create trigger offload_hour_insert after insert on "creative" referencing new table as added for each statement execute function offload_hour_added();`,
    );
    this.addSql(
      `create trigger offload_hour_update after update on "creative" referencing old table as removed new table as added for each statement ` +
        `execute function offload_hour_changed();`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger offload_hour_update on "creative";`);
    this.addSql(`drop trigger offload_hour_insert on "creative";`);
    this.addSql(`drop function offload_hour_changed();`);
    this.addSql(`drop function offload_hour_added();`);
    this.addSql(`drop view "offload_hour_now";`);
    this.addSql(`drop table "offload_hour_change";`);
    this.addSql(`drop table "offload_hour";`);
    this.addSql(`alter table "bulk_job" drop column "sample_start";`);
    this.addSql(`drop index "bulk_job_failure_job_failed_at_index";`);
    this.addSql(`drop index "creative_location_object_key_index";`);
    this.addSql(`drop index "creative_location_id_index";`);
  }
}
