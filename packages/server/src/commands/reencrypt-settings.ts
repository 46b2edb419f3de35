import { compose, configFromEnvironment } from '../app/composition.js';
import { createLogger } from '../log/logger.js';
import { reencryptSettings } from '../storage/reencrypt.js';

/**
 * After rotating APP_KEY (new key in APP_KEY, old one in APP_PREVIOUS_KEYS), re-seals every
 * stored provider setting under the new key, so the old one can be retired.
 * Usage: pnpm reencrypt-settings
 */
async function main() {
  const config = configFromEnvironment();
  const runtime = await compose({
    config,
    logger: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel),
    embeddedAllowed: true,
    attachToEmbedded: true,
  });
  try {
    const report = await reencryptSettings(runtime.scope().em, runtime.cipher);
    console.log(`Re-encrypted ${report.reencrypted.length} settings entries under the current APP_KEY; ${report.alreadyCurrent.length} already were.`);
    if (report.unreadable.length) {
      console.error(
        `Could not decrypt ${report.unreadable.join(', ')} with APP_KEY or APP_PREVIOUS_KEYS: left untouched. Add the key they were saved with to ` +
          `APP_PREVIOUS_KEYS and run again.`,
      );
      process.exitCode = 1;
    }
  } finally {
    await runtime.close();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
