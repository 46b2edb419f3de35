import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { AppKeys } from '../config/app-key.js';

/** How an encrypted settings entry is stored: versioned, naming the key that sealed it. */
export interface Envelope {
  v: 1;
  alg: 'aes-256-gcm';
  /** Which key sealed it: the first 16 hex digits of the key's SHA-256 (not secret). */
  kid: string;
  iv: string;
  tag: string;
  data: string;
}

export class SettingsDecryptError extends Error {
  override readonly name = 'SettingsDecryptError';
}

export const isEnvelope = (value: unknown): value is Envelope =>
  typeof value === 'object' && value !== null && (value as Envelope).v === 1 && (value as Envelope).alg === 'aes-256-gcm';

const keyId = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 16);

/**
 * AES-256-GCM under APP_KEY. The entry's name is bound in as associated data, so one entry's
 * ciphertext cannot be pasted into another. Retired keys (APP_PREVIOUS_KEYS) still decrypt.
 */
export class SettingsCipher {
  private readonly current: { id: string; key: Buffer };
  private readonly byId: Map<string, Buffer>;

  constructor(keys: Pick<AppKeys, 'current' | 'previous'>) {
    this.current = { id: keyId(keys.current), key: keys.current };
    this.byId = new Map([keys.current, ...keys.previous].map((k) => [keyId(k), k]));
  }

  encrypt(value: unknown, entry: string): Envelope {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(entry));
    const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return {
      v: 1,
      alg: 'aes-256-gcm',
      kid: this.current.id,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
  }

  decrypt(envelope: unknown, entry: string): unknown {
    if (!isEnvelope(envelope)) throw new SettingsDecryptError(`Settings entry ${entry} is not an encrypted envelope`);
    const key = this.byId.get(envelope.kid);
    if (!key) throw new SettingsDecryptError(`Settings entry ${entry} was encrypted with a key that is neither APP_KEY nor in APP_PREVIOUS_KEYS`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(envelope.iv, 'base64'));
      decipher.setAAD(Buffer.from(entry));
      decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
      const plain = Buffer.concat([decipher.update(Buffer.from(envelope.data, 'base64')), decipher.final()]);
      return JSON.parse(plain.toString('utf8'));
    } catch (error) {
      throw new SettingsDecryptError(`Settings entry ${entry} failed its integrity check`, { cause: error });
    }
  }

  /** True when the entry is sealed with a retired key and should be re-encrypted. */
  isStale(envelope: Envelope): boolean {
    return envelope.kid !== this.current.id;
  }
}
