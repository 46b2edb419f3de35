import type { Request } from 'express';
import type { EntityManager } from '@mikro-orm/postgresql';
import { GraphQLError } from 'graphql';
import type { Actor } from './actor.js';
import { AuthService, SESSION_COOKIE } from './auth.service.js';

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
export async function resolveActor(em: EntityManager, req: Request): Promise<Actor | null> {
  const auth = new AuthService(em);
  const header = req.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(header);
    if (!match) {
      throw new GraphQLError('Authorization must be "Bearer <API token>"', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
    }
    try {
      return await auth.platformFromBearer(match[1]!);
    } catch (error) {
      if (error instanceof GraphQLError) error.extensions.http = { status: 401 };
      throw error;
    }
  }
  const session = cookie(req, SESSION_COOKIE);
  return session && /^[A-Za-z0-9_-]{1,100}$/.test(session) ? auth.adminFromSession(session) : null;
}
