import 'reflect-metadata';
import path from 'node:path';
import { loadAppKeys } from '../config/app-key.js';
import { ConfigError, loadConfig } from '../config/config.js';
import { startEmbeddedPostgres } from '../db/embedded-postgres.js';
import { openDatabase } from '../db/orm.js';
import { createLogger } from '../logger.js';
import { reencryptSettings } from '../storage/reencrypt.js';
import { SettingsCipher } from '../storage/settings-cipher.js';

/**
 * After rotating APP_KEY (new key in APP_KEY, old one in APP_PREVIOUS_KEYS), re-seals every
 * stored provider setting under the new key, so the old one can be retired.
 * Usage: pnpm reencrypt-settings
 */
async function main() {
  const config = loadConfig();
  const keys = loadAppKeys(config);
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const embedded = config.databaseUrl ? undefined : await startEmbeddedPostgres(path.join(config.dataDir, 'postgres'), config.embeddedPostgresPort, logger);
  const orm = await openDatabase(config.databaseUrl ?? embedded!.url, logger);
  try {
    const report = await reencryptSettings(orm.em.fork(), new SettingsCipher(keys));
    console.log(`Re-encrypted ${report.reencrypted.length} settings entries under the current APP_KEY; ${report.alreadyCurrent.length} already were.`);
    if (report.unreadable.length) {
      console.error(`Could not decrypt ${report.unreadable.join(', ')} with APP_KEY or APP_PREVIOUS_KEYS: left untouched. Add the key they were saved with to APP_PREVIOUS_KEYS and run again.`);
      process.exitCode = 1;
    }
  } finally {
    await orm.close();
    await embedded?.stop();
  }
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error instanceof Error ? error.message : error);
  process.exit(1);
});
