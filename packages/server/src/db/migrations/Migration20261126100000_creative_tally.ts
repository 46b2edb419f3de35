import { Migration } from '@mikro-orm/migrations';

export class Migration20261126100000_creative_tally extends Migration {
  override async up(): Promise<void> {
    // Writers wait until the counts below start from exactly what the table holds (readers do not).
    this.addSql(`lock table "creative" in share row exclusive mode;`);

    // Exact counts for every filter the API offers (location × status × studio) without counting
    // 10 million rows: each statement that adds, removes or regroups creatives appends its net
    // change per group to creative_tally_change (appends contend on no row), a worker folds the
    // changes into creative_tally now and then, and readers add what is not folded yet. The groups
    // are few (locations × 5 statuses × 2 studios), so any count is a sum over a few dozen rows.
    this.addSql(`create table "creative_tally" (
      "location_id" integer not null,
      "offload_status" text not null,
      "studio" text not null,
      "results" bigint not null,
      "bytes" bigint not null,
      primary key ("location_id", "offload_status", "studio")
    );`);
    this.addSql(`create table "creative_tally_change" (
      "location_id" integer not null,
      "offload_status" text not null,
      "studio" text not null,
      "results" bigint not null,
      "bytes" bigint not null
    );`);
    this.addSql(`create view "creative_tally_now" as
      select "location_id", "offload_status", "studio", sum("results")::bigint as "results", sum("bytes")::bigint as "bytes"
      from (select * from "creative_tally" union all select * from "creative_tally_change") t
      group by 1, 2, 3;`);
    this.addSql(
      `insert into "creative_tally" select "location_id", "offload_status", "studio", count(*), coalesce(sum("size"), 0) from "creative" group by 1, 2, 3;`,
    );

    this.addSql(`create function creative_tally_added() returns trigger language plpgsql as $$
      begin
        insert into creative_tally_change select location_id, offload_status, studio, count(*), sum(size) from added group by 1, 2, 3;
        return null;
      end $$;`);
    this.addSql(`create function creative_tally_removed() returns trigger language plpgsql as $$
      begin
        insert into creative_tally_change select location_id, offload_status, studio, -count(*), -sum(size) from removed group by 1, 2, 3;
        return null;
      end $$;`);
    // Most updates (a lease renewed, an attempt counted) change no group: they append nothing.
    this.addSql(`create function creative_tally_changed() returns trigger language plpgsql as $$
      begin
        insert into creative_tally_change
          select o.location_id, o.offload_status, o.studio, -count(*), -sum(o.size) from removed o join added n using (id)
            where (o.location_id, o.offload_status, o.studio, o.size) is distinct from (n.location_id, n.offload_status, n.studio, n.size) group by 1, 2, 3
          union all
          select n.location_id, n.offload_status, n.studio, count(*), sum(n.size) from removed o join added n using (id)
            where (o.location_id, o.offload_status, o.studio, o.size) is distinct from (n.location_id, n.offload_status, n.studio, n.size) group by 1, 2, 3;
        return null;
      end $$;`);
    this.addSql(`create function creative_tally_truncated() returns trigger language plpgsql as $$
      begin
        delete from creative_tally_change;
        delete from creative_tally;
        return null;
      end $$;`);
    this.addSql(
      `create trigger creative_tally_insert after insert on "creative" referencing new table as added for each statement execute function creative_tally_added();`,
    );
    this.addSql(
      `create trigger creative_tally_delete after delete on "creative" referencing old table as removed for each statement execute function creative_tally_removed();`,
    );
    this.addSql(
      `create trigger creative_tally_update after update on "creative" referencing old table as removed new table as added for each statement ` +
        `execute function creative_tally_changed();`,
    );
    this.addSql(`create trigger creative_tally_truncate after truncate on "creative" for each statement execute function creative_tally_truncated();`);

    // A filtered page, newest first, merges the newest rows of each matching group: every group is
    // one range of this index in page order, however its rows are spread over time (an old
    // location's results are all months old; a status's may cluster). It replaces the location
    // index, whose prefix it keeps (a location in use is found by it).
    this.addSql(`create index "creative_group_created_at_id_index" on "creative" ("location_id", "offload_status", "studio", "created_at" desc, "id" desc);`);
    this.addSql(`drop index "creative_location_created_at_id_index";`);
  }

  override async down(): Promise<void> {
    this.addSql(`create index "creative_location_created_at_id_index" on "creative" ("location_id", "created_at" desc, "id" desc);`);
    this.addSql(`drop index "creative_group_created_at_id_index";`);
    this.addSql(`drop trigger creative_tally_truncate on "creative";`);
    this.addSql(`drop trigger creative_tally_update on "creative";`);
    this.addSql(`drop trigger creative_tally_delete on "creative";`);
    this.addSql(`drop trigger creative_tally_insert on "creative";`);
    this.addSql(`drop function creative_tally_truncated();`);
    this.addSql(`drop function creative_tally_changed();`);
    this.addSql(`drop function creative_tally_removed();`);
    this.addSql(`drop function creative_tally_added();`);
    this.addSql(`drop view "creative_tally_now";`);
    this.addSql(`drop table "creative_tally_change";`);
    this.addSql(`drop table "creative_tally";`);
  }
}
