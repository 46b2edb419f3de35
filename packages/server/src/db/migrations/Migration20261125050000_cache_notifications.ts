import { Migration } from '@mikro-orm/migrations';

export class Migration20261125050000_cache_notifications extends Migration {
  override async up(): Promise<void> {
    // Every process caches settings and API tokens; these tell all of them when to forget
    // (NOTIFY is delivered on commit, so nobody hears of a change that rolled back).
    this.addSql(`create function offload_cache_changed() returns trigger language plpgsql as $$
      begin
        perform pg_notify('offload_cache', tg_table_name);
        return null;
      end $$;`);
    this.addSql(
      `create trigger setting_cache after insert or update or delete or truncate on "setting" for each statement execute function offload_cache_changed();`,
    );
    // Only revocation and removal matter to a cached token (its last-used time does not).
    this.addSql(
      `create trigger api_token_cache after update of "revoked_at", "scopes", "token_hash" or delete or truncate on "api_token" for each statement ` +
        `execute function offload_cache_changed();`,
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger api_token_cache on "api_token";');
    this.addSql('drop trigger setting_cache on "setting";');
    this.addSql('drop function offload_cache_changed();');
  }
}
