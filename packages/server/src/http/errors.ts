import type { NextFunction, Response } from 'express';
import { InvalidInputError, NotFoundError, RefusedError } from '../domain/errors.js';
import { StorageError } from '../storage/drivers/errors.js';

const REFUSAL_STATUS: Record<RefusedError['code'], number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  TOO_MANY_REQUESTS: 429,
  PLUGIN_NOT_INSTALLED: 409,
  PURCHASE_REQUIRED: 402,
  LOCATION_IN_USE: 409,
  BULK_JOB_STATE: 409,
  NOTHING_TO_RETRY: 409,
  BULK_JOB_OVERLAP: 409,
};

/**
 * The one mapping from what services throw to HTTP statuses, for the plain HTTP routes (GraphQL
 * has its own, http/graphql-errors.ts): the message as text, anything unknown to Express's handler.
 */
export function sendError(res: Response, next: NextFunction, error: unknown): void {
  const status =
    error instanceof InvalidInputError
      ? 400
      : error instanceof NotFoundError
        ? 404
        : error instanceof RefusedError
          ? REFUSAL_STATUS[error.code]
          : error instanceof StorageError
            ? error.code === 'NOT_FOUND'
              ? 404
              : 503
            : null;
  if (status === null || res.headersSent) {
    next(error);
    return;
  }
  res
    .status(status)
    .type('text/plain')
    .send((error as Error).message);
}
