import type { Request } from 'express';
import type { Actor } from '../domain/actor.js';
import { type AuthService, SESSION_COOKIE, unauthenticated } from './auth.service.js';

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/**
 * A bearer token wins over a cookie. A bad bearer token is an error (the platform must learn
 * its credential is wrong); a stale cookie just means "signed out".
 */
export async function resolveActor(auth: AuthService, req: Request): Promise<Actor | null> {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(header);
    if (!match) {
      throw unauthenticated('Authorization must be "Bearer <API token>"');
    }
    return auth.platformFromBearer(match[1]!);
  }
  const session = cookie(req, SESSION_COOKIE);
  return session && /^[A-Za-z0-9_-]{1,100}$/.test(session) ? auth.adminFromSession(session) : null;
}
