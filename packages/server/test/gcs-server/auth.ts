// Service accounts, the OAuth2 token endpoint and IAM. Keys are real RSA keys generated per account;
// the token endpoint verifies the JWT-bearer assertion's signature against the account's public
// keys exactly as oauth2.googleapis.com does, so a wrong or forged private key fails where it
// would fail in production (at the token exchange, with invalid_grant).
import { createPublicKey, generateKeyPair, randomBytes, verify, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { invalidCredentials, permissionDenied, type Caller } from './errors.js';
import type { BucketRecord } from './store.js';

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * Predefined IAM roles, granted on the project (or on the listed buckets only); and
 * objectCreatorViewer, roles/storage.objectCreator and roles/storage.objectViewer granted together
 * (or a custom role with the same permissions): everything but delete.
 */
export type Role = 'admin' | 'objectAdmin' | 'objectUser' | 'objectViewer' | 'objectCreator' | 'objectCreatorViewer';

const OBJECT_VIEWER = ['storage.objects.get', 'storage.objects.list'];
const OBJECT_ALL = ['storage.objects.create', 'storage.objects.delete', 'storage.objects.get', 'storage.objects.list', 'storage.objects.update'];

/** What each role grants, as in https://cloud.google.com/storage/docs/access-control/iam-roles (the parts this server checks). */
export const ROLE_PERMISSIONS: Record<Role, readonly string[]> = {
  admin: ['storage.buckets.get', 'storage.buckets.getIamPolicy', ...OBJECT_ALL],
  objectAdmin: OBJECT_ALL,
  objectUser: OBJECT_ALL,
  objectViewer: OBJECT_VIEWER,
  // Create only: no get, no list, and (as in GCS) no overwrite, which needs storage.objects.delete.
  objectCreator: ['storage.objects.create'],
  objectCreatorViewer: ['storage.objects.create', ...OBJECT_VIEWER],
};

export const ROLES = Object.keys(ROLE_PERMISSIONS) as Role[];

/** A service-account key file, field for field as the Cloud console downloads it. */
export interface ServiceAccountKey {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
  auth_provider_x509_cert_url: string;
  client_x509_cert_url: string;
  universe_domain: string;
}

export interface Account {
  email: string;
  role: Role;
  /** When set, the role is granted on these buckets only (a bucket-level IAM binding). */
  buckets?: string[];
  projectId: string;
  clientId: string;
  keys: Map<string, KeyObject>;
}

/** The token URLs a JWT-bearer assertion may name as `aud`: Google's two, and this server's. */
const GOOGLE_TOKEN_AUDIENCES = ['https://oauth2.googleapis.com/token', 'https://www.googleapis.com/oauth2/v4/token'];
/** Audiences a self-signed JWT used directly as a bearer token may carry. */
const STORAGE_AUDIENCES = ['https://storage.googleapis.com/', 'https://storage.googleapis.com'];

const ACCESS_TOKEN_LIFETIME_S = 3599;
const CLOCK_SKEW_S = 300;

interface JwtParts {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  signed: Buffer;
  signature: Buffer;
}

export interface TokenResponse {
  status: number;
  body: Record<string, unknown>;
}

const grantError = (description: string, error = 'invalid_grant'): TokenResponse => ({ status: 400, body: { error, error_description: description } });

export class Accounts {
  private readonly accounts = new Map<string, Account>();
  private readonly tokens = new Map<string, { email: string; expires: number }>();

  constructor(private readonly baseUrl: () => string) {}

  get(email: string): Account | undefined {
    return this.accounts.get(email);
  }

  async create(options: { role: Role; name?: string; buckets?: string[]; projectId?: string }): Promise<ServiceAccountKey> {
    const projectId = options.projectId ?? 'offload-test';
    const name = options.name ?? `${options.role.toLowerCase().slice(0, 20)}-${randomBytes(4).toString('hex')}`;
    const email = `${name}@${projectId}.iam.gserviceaccount.com`;
    if (this.accounts.has(email)) throw new Error(`account ${email} exists`);
    const clientId = BigInt(`0x${randomBytes(9).toString('hex')}`)
      .toString()
      .padStart(21, '1')
      .slice(0, 21);
    this.accounts.set(email, { email, role: options.role, buckets: options.buckets, projectId, clientId, keys: new Map() });
    return this.addKey(email);
  }

  /** A further key for an existing account (key rotation): both keys work until one is deleted. */
  async addKey(email: string): Promise<ServiceAccountKey> {
    const account = this.accounts.get(email);
    if (!account) throw new Error(`no account ${email}`);
    const { publicKey, privateKey } = await generateKeyPairAsync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const keyId = randomBytes(20).toString('hex');
    account.keys.set(keyId, createPublicKey(publicKey));
    return {
      type: 'service_account',
      project_id: account.projectId,
      private_key_id: keyId,
      private_key: privateKey,
      client_email: email,
      client_id: account.clientId,
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: `${this.baseUrl()}/token`,
      auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
      client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(email)}`,
      universe_domain: 'googleapis.com',
    };
  }

  deleteKey(email: string, keyId: string): boolean {
    return this.accounts.get(email)?.keys.delete(keyId) ?? false;
  }

  /** Deletes the account: its keys stop signing and its access tokens stop working at once. */
  revoke(email: string): boolean {
    for (const [token, entry] of this.tokens) if (entry.email === email) this.tokens.delete(token);
    return this.accounts.delete(email);
  }

  /** POST /token: the JWT-bearer grant (RFC 7523) with Google's error texts. */
  exchange(form: URLSearchParams): TokenResponse {
    const grantType = form.get('grant_type');
    if (grantType !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return grantError(`Invalid grant_type: ${grantType ?? ''}`, 'unsupported_grant_type');
    const assertion = form.get('assertion');
    if (!assertion) return grantError('Missing required parameter: assertion', 'invalid_request');
    const jwt = parseJwt(assertion);
    if (!jwt || jwt.header.alg !== 'RS256') return grantError('Invalid JWT: the assertion is not a well-formed RS256 JWT.', 'invalid_request');
    const account = typeof jwt.claims.iss === 'string' ? this.accounts.get(jwt.claims.iss) : undefined;
    if (!account) return grantError('Invalid grant: account not found');
    if (!this.signedByAccount(account, jwt.signed, jwt.signature)) return grantError('Invalid JWT Signature.');
    if (!GOOGLE_TOKEN_AUDIENCES.includes(String(jwt.claims.aud)) && jwt.claims.aud !== `${this.baseUrl()}/token`)
      return grantError('Invalid JWT: Failed audience check.');
    if (!isShortLived(jwt.claims))
      return grantError(
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      );
    if (typeof jwt.claims.scope !== 'string' || !jwt.claims.scope.trim()) return grantError('Empty or missing scope not allowed.', 'invalid_scope');
    const accessToken = `ya29.c.${randomBytes(48).toString('base64url')}`;
    this.tokens.set(accessToken, { email: account.email, expires: Date.now() + ACCESS_TOKEN_LIFETIME_S * 1000 });
    return { status: 200, body: { access_token: accessToken, expires_in: ACCESS_TOKEN_LIFETIME_S, token_type: 'Bearer' } };
  }

  /**
   * The caller an Authorization header names: nobody without one; an account for a live access
   * token or a valid self-signed JWT (what google-auth-library sends when it skips the exchange).
   * Anything else is "Invalid Credentials" (401), even where anonymous access would be allowed.
   */
  caller(authorization: string | undefined): Account | 'anonymous' {
    if (!authorization) return 'anonymous';
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw invalidCredentials();
    const token = match[1]!;
    const entry = this.tokens.get(token);
    if (entry && entry.expires > Date.now()) {
      const account = this.accounts.get(entry.email);
      if (account) return account;
    }
    const selfSigned = this.selfSignedCaller(token);
    if (selfSigned) return selfSigned;
    throw invalidCredentials();
  }

  private selfSignedCaller(token: string): Account | undefined {
    const jwt = parseJwt(token);
    if (!jwt || jwt.header.alg !== 'RS256' || typeof jwt.claims.iss !== 'string') return undefined;
    const account = this.accounts.get(jwt.claims.iss);
    if (!account || !this.signedByAccount(account, jwt.signed, jwt.signature) || !isShortLived(jwt.claims)) return undefined;
    const audienceOk = STORAGE_AUDIENCES.includes(String(jwt.claims.aud)) || String(jwt.claims.aud).startsWith(this.baseUrl());
    const scopeOk = typeof jwt.claims.scope === 'string' && /devstorage|cloud-platform/.test(jwt.claims.scope);
    return audienceOk || scopeOk ? account : undefined;
  }

  /** Whether `data` was signed (RSA-SHA256) by any of the account's current keys. */
  signedByAccount(account: Account, data: Buffer, signature: Buffer): boolean {
    return [...account.keys.values()].some((key) => verify('RSA-SHA256', data, key, signature));
  }

  allows(caller: Account | 'anonymous', permission: string, bucket: BucketRecord): boolean {
    // allUsers holds roles/storage.objectViewer on a public bucket (get and list).
    if (bucket.public && OBJECT_VIEWER.includes(permission)) return true;
    if (caller === 'anonymous') return false;
    if (caller.buckets && !caller.buckets.includes(bucket.name)) return false;
    return ROLE_PERMISSIONS[caller.role].includes(permission);
  }

  /** Throws GCS's denial (see permissionDenied) unless the caller holds `permission` on the bucket. */
  require(caller: Account | 'anonymous', permission: string, bucket: BucketRecord, api: 'json' | 'xml' = 'json'): void {
    if (!this.allows(caller, permission, bucket)) throw permissionDenied(callerOf(caller), permission, api);
  }
}

export const callerOf = (caller: Account | 'anonymous'): Caller => (caller === 'anonymous' ? 'anonymous' : { email: caller.email });

function parseJwt(token: string): JwtParts | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (!header || typeof header !== 'object' || !claims || typeof claims !== 'object') return undefined;
    return { header, claims, signed: Buffer.from(`${parts[0]}.${parts[1]}`), signature: Buffer.from(parts[2]!, 'base64url') };
  } catch {
    return undefined;
  }
}

/** Google's rule: issued now-ish, not expired, and valid for at most an hour. */
function isShortLived(claims: Record<string, unknown>): boolean {
  const { iat, exp } = claims;
  if (typeof iat !== 'number' || typeof exp !== 'number') return false;
  const now = Date.now() / 1000;
  return exp > now && iat <= now + CLOCK_SKEW_S && exp > iat && exp - iat <= 3600;
}
