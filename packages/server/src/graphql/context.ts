import type { Request, Response } from 'express';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config/config.js';
import type { Actor } from '../auth/actor.js';
import type { RateLimiter } from '../http/rate-limit.js';
import type { Logger } from '../logger.js';
import type { CreativeService } from '../creatives/creative.service.js';
import type { StorageSettingsService } from '../storage/storage-settings.service.js';

/** Everything a resolver may use for one request. */
export interface Context {
  requestId: string;
  config: Config;
  /** A fork of the ORM's EntityManager, private to this request. */
  em: EntityManager;
  logger: Logger;
  /** Who is calling; null when anonymous. Checked only by the auth checker. */
  actor: Actor | null;
  req: Request;
  res: Response;
  /** The client's address (behind a trusted proxy, the forwarded one). */
  requestIp: string;
  rateLimits: { signIn: RateLimiter; connectionTest: RateLimiter };
  storageSettings: StorageSettingsService;
  /** One per request: a listing resolves `url` for up to 500 creatives with it. */
  creatives: CreativeService;
}
