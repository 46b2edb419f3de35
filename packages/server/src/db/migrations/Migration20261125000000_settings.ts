import { Migration } from '@mikro-orm/migrations';

export class Migration20261125000000_settings extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "setting" (
      "key" varchar(100) not null primary key,
      "value" jsonb not null,
      "updated_at" timestamptz not null default now()
    );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "setting";');
  }
}
