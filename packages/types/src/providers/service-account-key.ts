/**
 * A Google Cloud service-account key, as pasted or uploaded (the JSON file IAM → Service
 * accounts → Keys downloads). Checked here, where both the admin (as you type) and the server
 * (on save) run it. No message ever repeats the key or any part of its private key.
 */
export interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  project_id: string;
  /** Where the key is exchanged for access tokens (Google's OAuth2 token endpoint). */
  token_uri: string;
}

export const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';

/** The key, or what is wrong with it in words for the person who pasted it. */
export function parseServiceAccountKey(value: string): { key: ServiceAccountKey; problem: null } | { key: null; problem: string } {
  const fail = (problem: string) => ({ key: null, problem });
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return fail('is not valid JSON: paste the whole key file (IAM → Service accounts → Keys → Add key → JSON), or upload it');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('must be the JSON object of a key file');
  const k = json as Record<string, unknown>;
  if (k.type !== 'service_account') {
    const type = typeof k.type === 'string' ? `"${k.type.slice(0, 40)}"` : 'missing';
    return fail(`must be a service-account key ("type": "service_account"); its type is ${type}`);
  }
  const absent = ['private_key', 'client_email'].filter((name) => typeof k[name] !== 'string' || !(k[name] as string).trim());
  if (absent.length) return fail(`is missing ${absent.map((name) => `"${name}"`).join(' and ')}`);
  const email = k.client_email as string;
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) || email.length > 320) return fail('has a "client_email" that is not an email address');
  // A key pasted through another tool sometimes keeps its newlines escaped.
  const privateKey = (k.private_key as string).replace(/\\n/g, '\n').trim();
  const keyProblem = checkPrivateKeyPem(privateKey);
  if (keyProblem) return fail(`has a "private_key" that does not parse: ${keyProblem}`);
  const tokenUri = typeof k.token_uri === 'string' && k.token_uri ? k.token_uri : GOOGLE_TOKEN_URI;
  // The signed assertion goes there: https, or plain http only to this machine.
  if (!/^https:\/\/[^\s/]+/.test(tokenUri) && !/^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?\//.test(tokenUri)) {
    return fail('has a "token_uri" that is not an https URL');
  }
  const projectId = typeof k.project_id === 'string' ? k.project_id : '';
  return { key: { client_email: email, private_key: privateKey, project_id: projectId, token_uri: tokenUri }, problem: null };
}

// ------------------------------------------------------------------ the private key

const PEM = /^-----BEGIN PRIVATE KEY-----([\s\S]+?)-----END PRIVATE KEY-----$/;
/** rsaEncryption, 1.2.840.113549.1.1.1, as DER. */
const RSA_OID = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/**
 * Whether the PEM holds a whole PKCS#8 RSA private key (the form Google issues): armour, base64,
 * and the DER structure — version, the RSA algorithm, the key — with every length consistent, so
 * a truncated or mangled paste is caught here rather than as a failed token exchange later.
 */
function checkPrivateKeyPem(pem: string): string | null {
  const body = PEM.exec(pem)?.[1];
  if (!body) return 'expected a PEM block between -----BEGIN PRIVATE KEY----- and -----END PRIVATE KEY-----';
  const der = base64Decode(body.replace(/\s+/g, ''));
  if (!der) return 'its base64 body is damaged';
  const outer = readTlv(der, 0);
  if (!outer || outer.tag !== 0x30 || outer.end !== der.length) return 'it is truncated or has extra bytes';
  const version = readTlv(der, outer.start);
  const algorithm = version && version.tag === 0x02 ? readTlv(der, version.end) : null;
  if (!algorithm || algorithm.tag !== 0x30) return 'it is not a PKCS#8 private key';
  if (!RSA_OID.every((byte, i) => der[algorithm.start + i] === byte)) return 'it is not an RSA key';
  const key = readTlv(der, algorithm.end);
  if (!key || key.tag !== 0x04 || key.end !== outer.end) return 'the key material is truncated';
  const rsa = readTlv(der, key.start);
  if (!rsa || rsa.tag !== 0x30 || rsa.end !== key.end) return 'the RSA key is truncated';
  return null;
}

/** One DER tag-length-value at `at`: where its contents start and end; null when the lengths run past the data. */
function readTlv(der: Uint8Array, at: number): { tag: number; start: number; end: number } | null {
  if (at + 2 > der.length) return null;
  const tag = der[at]!;
  let length = der[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4 || start + bytes > der.length) return null;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[start + i]!;
    start += bytes;
  }
  const end = start + length;
  return end <= der.length ? { tag, start, end } : null;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 (the admin runs this in the browser too, so no Buffer); null when it is not valid base64. */
function base64Decode(text: string): Uint8Array | null {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let bits = 0;
  let value = 0;
  let o = 0;
  for (const char of text.replace(/=+$/, '')) {
    value = (value << 6) | ALPHABET.indexOf(char);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (value >> bits) & 0xff;
    }
  }
  return out;
}
