import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, type Config } from './config.js';

/** The key that encrypts provider settings now, and the retired ones still accepted for reading. */
export interface AppKeys {
  current: Buffer;
  previous: Buffer[];
  /** True when the key was generated into the data directory because APP_KEY was unset. */
  generated: boolean;
}

const FORMAT = 'base64:<32 random bytes in base64>, e.g. from `openssl rand -base64 32`';

export function parseAppKey(name: string, raw: string): Buffer {
  const body = raw.startsWith('base64:') ? raw.slice('base64:'.length) : raw;
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(body) ? Buffer.from(body, 'base64') : Buffer.alloc(0);
  if (key.length !== 32) throw new ConfigError([`${name} must be ${FORMAT}`]);
  return key;
}

export const formatAppKey = (key: Buffer) => `base64:${key.toString('base64')}`;

/**
 * APP_KEY when set; otherwise the key kept in `<DATA_DIR>/app-key`, generated on first start.
 * A generated key is fine for trying the product, never for production: losing the data
 * directory loses every stored credential.
 */
export function loadAppKeys(config: Config): AppKeys {
  const previous = config.appPreviousKeys.map((k, i) => parseAppKey(`APP_PREVIOUS_KEYS[${i}]`, k));
  if (config.appKey) return { current: parseAppKey('APP_KEY', config.appKey), previous, generated: false };
  const file = path.join(config.dataDir, 'app-key');
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, `${formatAppKey(randomBytes(32))}\n`, { mode: 0o600, flag: 'wx' });
  }
  return { current: parseAppKey(`APP_KEY (from ${file})`, readFileSync(file, 'utf8').trim()), previous, generated: true };
}
