import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SettingsCipher, SettingsDecryptError } from './settings-cipher.js';

const secret = { secretAccessKey: 'canary-secret-1234567890' };

describe('encrypted settings entries', () => {
  it('round-trip, and the stored form holds no plain text', () => {
    const cipher = new SettingsCipher({ current: randomBytes(32), previous: [] });
    const envelope = cipher.encrypt(secret, 'provider:cloudflare-r2');
    expect(JSON.stringify(envelope)).not.toContain('canary');
    expect(cipher.decrypt(envelope, 'provider:cloudflare-r2')).toEqual(secret);
  });

  it('use a fresh IV each time, so equal settings encrypt differently', () => {
    const cipher = new SettingsCipher({ current: randomBytes(32), previous: [] });
    expect(cipher.encrypt(secret, 'e').data).not.toBe(cipher.encrypt(secret, 'e').data);
  });

  it('cannot be moved to another entry', () => {
    const cipher = new SettingsCipher({ current: randomBytes(32), previous: [] });
    expect(() => cipher.decrypt(cipher.encrypt(secret, 'provider:wasabi'), 'provider:amazon-s3')).toThrow(SettingsDecryptError);
  });

  it('detect tampering', () => {
    const cipher = new SettingsCipher({ current: randomBytes(32), previous: [] });
    const envelope = cipher.encrypt(secret, 'e');
    const data = Buffer.from(envelope.data, 'base64');
    data[0]! ^= 1;
    expect(() => cipher.decrypt({ ...envelope, data: data.toString('base64') }, 'e')).toThrow(/integrity/);
  });

  it('still decrypt under a previous key after rotation, and say they are stale', () => {
    const oldKey = randomBytes(32);
    const envelope = new SettingsCipher({ current: oldKey, previous: [] }).encrypt(secret, 'e');
    const rotated = new SettingsCipher({ current: randomBytes(32), previous: [oldKey] });
    expect(rotated.decrypt(envelope, 'e')).toEqual(secret);
    expect(rotated.isStale(envelope)).toBe(true);
    expect(rotated.isStale(rotated.encrypt(secret, 'e'))).toBe(false);
  });

  it('refuse an entry sealed with an unknown key, saying which variables to check', () => {
    const envelope = new SettingsCipher({ current: randomBytes(32), previous: [] }).encrypt(secret, 'e');
    expect(() => new SettingsCipher({ current: randomBytes(32), previous: [] }).decrypt(envelope, 'e')).toThrow(/neither APP_KEY nor in APP_PREVIOUS_KEYS/);
  });
});
