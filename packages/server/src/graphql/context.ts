import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../logger.js';

/** Everything a resolver may use for one request. */
export interface Context {
  requestId: string;
  /** A fork of the ORM's EntityManager, private to this request. */
  em: EntityManager;
  logger: Logger;
}
