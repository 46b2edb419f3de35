import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { EntityManager } from '@mikro-orm/postgresql';
import { API_SCOPES, type ApiScope } from '@offload/types';
import { InvalidInputError, NotFoundError, RefusedError } from '../domain/errors.js';
import type { CacheReader } from '../db/shared-cache.js';
import { ApiTokenRepository } from './api-token.repository.js';
import { isUuid } from '../util/uuid.js';
import type { Actor } from '../domain/actor.js';
import { AdminSession } from './admin-session.entity.js';
import { AdminUser } from './admin-user.entity.js';
import { ApiToken } from './api-token.entity.js';

export const SESSION_COOKIE = 'offload_session';
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;
const TOKEN_PREFIX = 'off_';
/** lastUsedAt is kept to the minute. */
const LAST_USED_PRECISION_MS = 60_000;

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const newSecret = () => randomBytes(32).toString('base64url');

// Verified against when the email is unknown, so a wrong email costs as long as a wrong password.
const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$TH9jDOBn2YfyTpOa9Vx9FA$V47dxUQ2LcmxzHapb78rNymUuIYkyECfFnOqPmYYHCg';

export const hashPassword = (password: string) => hash(password);

export const unauthenticated = (message: string) => new RefusedError('UNAUTHENTICATED', message);

const normalizeEmail = (email: string) => email.trim().toLowerCase();

export class AuthService {
  private readonly tokens: ApiTokenRepository;

  constructor(
    private readonly em: EntityManager,
    private readonly cache: CacheReader,
  ) {
    this.tokens = new ApiTokenRepository(em);
  }

  /** Checks the password and opens a session; the returned token goes into the cookie only. */
  async signIn(email: string, password: string): Promise<{ user: AdminUser; sessionToken: string; expiresAt: Date }> {
    const user = await this.em.findOne(AdminUser, { email: normalizeEmail(email) });
    const ok = await verify(user?.passwordHash ?? DUMMY_HASH, password);
    if (!user || !ok) throw unauthenticated('Email or password is incorrect');
    const sessionToken = newSecret();
    const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
    this.em.create(AdminSession, { tokenHash: sha256(sessionToken), user, expiresAt, createdAt: new Date() });
    await this.em.flush();
    return { user, sessionToken, expiresAt };
  }

  async signOut(sessionTokenHash: string): Promise<void> {
    await this.em.nativeDelete(AdminSession, { tokenHash: sessionTokenHash });
  }

  /** The admin behind a session cookie, or null when it is unknown or expired. */
  async adminFromSession(sessionToken: string): Promise<Actor | null> {
    const tokenHash = sha256(sessionToken);
    const session = await this.em.findOne(AdminSession, { tokenHash, expiresAt: { $gt: new Date() } }, { populate: ['user'] });
    return session ? { kind: 'admin', userId: session.user.id, email: session.user.email, sessionTokenHash: tokenHash } : null;
  }

  /** The API token behind a bearer credential; an unknown or revoked one is refused outright. */
  async platformFromBearer(bearer: string): Promise<Actor> {
    const tokenHash = sha256(bearer);
    // Cached per process; revoking (or deleting) a token makes every process forget it at once.
    const token = bearer.startsWith(TOKEN_PREFIX) ? await this.cache.read('api_token', tokenHash, () => this.tokens.findActiveByHash(tokenHash)) : null;
    if (!token) throw unauthenticated('The API token is invalid or has been revoked');
    // Best effort, outside the request's unit of work: a failed timestamp must not fail the call.
    // To the minute: a platform calling many times a second must not write (and lock) the same
    // row on every call.
    if (!token.lastUsedAt || Date.now() - token.lastUsedAt.getTime() > LAST_USED_PRECISION_MS) {
      token.lastUsedAt = new Date();
      void this.tokens.touch(token.id).catch(() => undefined);
    }
    return { kind: 'token', tokenId: token.id, name: token.name, scopes: token.scopes };
  }

  async createApiToken(name: string, scopes: ApiScope[]): Promise<{ apiToken: ApiToken; token: string }> {
    const trimmed = name.trim();
    if (!trimmed) throw new InvalidInputError('name: give the token a name, e.g. the platform it is for', 'name');
    if (trimmed.length > 100) throw new InvalidInputError('name: at most 100 characters', 'name');
    if (!scopes.length) throw new InvalidInputError(`scopes: choose at least one of ${API_SCOPES.join(', ')}`, 'scopes');
    const token = `${TOKEN_PREFIX}${newSecret()}`;
    const apiToken = this.em.create(ApiToken, {
      name: trimmed,
      tokenHash: sha256(token),
      prefix: token.slice(0, 10),
      scopes: [...new Set(scopes)],
      createdAt: new Date(),
    });
    await this.em.flush();
    return { apiToken, token };
  }

  async revokeApiToken(id: string): Promise<ApiToken> {
    const apiToken = isUuid(id) ? await this.em.findOne(ApiToken, { id }) : null;
    if (!apiToken) throw new NotFoundError(`No API token with id ${id}`);
    apiToken.revokedAt ??= new Date();
    await this.em.flush();
    this.cache.invalidate('api_token'); // here at once; other processes hear it from the trigger
    return apiToken;
  }

  listApiTokens(): Promise<ApiToken[]> {
    return this.em.find(ApiToken, {}, { orderBy: { createdAt: 'desc' } });
  }
}

/**
 * On first start, creates the first admin: from ADMIN_EMAIL/ADMIN_PASSWORD, or with a random
 * password that is returned so it can be shown once. Returns null when an admin exists.
 */
export async function ensureFirstAdmin(
  em: EntityManager,
  email: string,
  password: string | undefined,
): Promise<{ email: string; generatedPassword?: string } | null> {
  if ((await em.count(AdminUser)) > 0) return null;
  const generatedPassword = password ? undefined : randomBytes(15).toString('base64url');
  em.create(AdminUser, { email: normalizeEmail(email), passwordHash: await hashPassword(password ?? generatedPassword!), createdAt: new Date() });
  await em.flush();
  return { email: normalizeEmail(email), generatedPassword };
}
