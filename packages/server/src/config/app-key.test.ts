import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAppKeys, parseAppKey } from './app-key.js';
import { ConfigError, loadConfig } from './config.js';

const tempDir = () => mkdtempSync(path.join(os.tmpdir(), 'offload-key-'));

describe('the app key', () => {
  it('is generated once into the data directory, private to its owner, and reused', () => {
    const dataDir = tempDir();
    const first = loadAppKeys(loadConfig({ DATA_DIR: dataDir }));
    const second = loadAppKeys(loadConfig({ DATA_DIR: dataDir }));
    expect(first.generated).toBe(true);
    expect(first.current).toHaveLength(32);
    expect(second.current.equals(first.current)).toBe(true);
    expect(statSync(path.join(dataDir, 'app-key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(dataDir, 'app-key'), 'utf8')).toMatch(/^base64:/);
  });

  it('comes from APP_KEY when set, with previous keys kept for decryption', () => {
    const key = Buffer.alloc(32, 7);
    const old = Buffer.alloc(32, 9);
    const keys = loadAppKeys(
      loadConfig({ DATA_DIR: tempDir(), APP_KEY: `base64:${key.toString('base64')}`, APP_PREVIOUS_KEYS: `base64:${old.toString('base64')}` }),
    );
    expect(keys.generated).toBe(false);
    expect(keys.current.equals(key)).toBe(true);
    expect(keys.previous.map((k) => k.toString('hex'))).toEqual([old.toString('hex')]);
  });

  it('refuses a key that is not 32 bytes, naming the variable', () => {
    expect(() => parseAppKey('APP_KEY', 'base64:c2hvcnQ=')).toThrow(ConfigError);
    expect(() => parseAppKey('APP_KEY', 'not a key')).toThrow(/^Invalid configuration: APP_KEY must be base64:/);
  });
});
