import { Migration } from '@mikro-orm/migrations';

export class Migration20261125010000_auth extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "admin_user" (
      "id" uuid not null primary key,
      "email" varchar(320) not null unique,
      "password_hash" varchar(255) not null,
      "created_at" timestamptz not null
    );`);
    this.addSql(`create table "admin_session" (
      "token_hash" varchar(64) not null primary key,
      "user_id" uuid not null references "admin_user" ("id") on delete cascade,
      "created_at" timestamptz not null,
      "expires_at" timestamptz not null
    );`);
    this.addSql(`create index "admin_session_expires_at_index" on "admin_session" ("expires_at");`);
    this.addSql(`create table "api_token" (
      "id" uuid not null primary key,
      "name" varchar(100) not null,
      "token_hash" varchar(64) not null unique,
      "prefix" varchar(16) not null,
      "scopes" text[] not null,
      "created_at" timestamptz not null,
      "last_used_at" timestamptz null,
      "revoked_at" timestamptz null
    );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "admin_session";');
    this.addSql('drop table if exists "api_token";');
    this.addSql('drop table if exists "admin_user";');
  }
}
