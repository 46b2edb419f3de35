import type { Request, Response } from 'express';
import type { Actor } from '../domain/actor.js';
import type { Runtime, Scope } from '../app/composition.js';
import type { Config } from '../config/config.js';
import type { Logger } from '../log/logger.js';

/** Everything a resolver may use for one request: the request's services (built once, see `Scope`) and who is calling. */
export interface Context extends Scope {
  requestId: string;
  config: Config;
  logger: Logger;
  /** Who is calling; null when anonymous. Checked only by the auth checker. */
  actor: Actor | null;
  req: Request;
  res: Response;
  /** The client's address (behind a trusted proxy, the forwarded one). */
  requestIp: string;
  rateLimits: Runtime['rateLimits'];
  drivers: Runtime['drivers'];
}
