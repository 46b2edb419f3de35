import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { InvalidInputError, NotFoundError, RefusedError } from '../domain/errors.js';
import type { Logger } from '../log/logger.js';
import { StorageError } from '../storage/drivers/errors.js';

/** Codes a client may rely on; anything else is masked as INTERNAL_SERVER_ERROR. */
export const PUBLIC_CODES = new Set([
  'BAD_USER_INPUT',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'TOO_MANY_REQUESTS',
  'PLUGIN_NOT_INSTALLED',
  'PURCHASE_REQUIRED',
  'LOCATION_IN_USE',
  'BULK_JOB_STATE',
  'NOTHING_TO_RETRY',
  'BULK_JOB_OVERLAP',
]);

/** The extensions a domain or storage error shows a client; null for any other error. */
function extensionsOf(error: unknown): Record<string, unknown> | null {
  if (error instanceof InvalidInputError)
    return { code: 'BAD_USER_INPUT', ...(error.field ? { field: error.field } : {}), ...(error.problems ? { problems: error.problems } : {}) };
  if (error instanceof NotFoundError) return { code: 'NOT_FOUND' };
  if (error instanceof RefusedError) return { code: error.code, ...error.details };
  if (error instanceof StorageError) return { code: `STORAGE_${error.code}` };
  return null;
}

/**
 * A domain error as a GraphQL error, for the places Apollo does not pass through `formatError`
 * as a resolver error (the context function): an unauthenticated caller gets HTTP 401 there.
 */
export function toGraphQLError(error: unknown): unknown {
  const extensions = extensionsOf(error);
  if (!extensions) return error;
  return new GraphQLError((error as Error).message, {
    extensions: { ...extensions, ...(extensions.code === 'UNAUTHENTICATED' ? { http: { status: 401 } } : {}) },
  });
}

/**
 * The one mapping from what services throw to what clients see: domain and storage errors keep
 * their message and get their code; GraphQL's own errors with a public code pass; anything else
 * is logged with the request id and reaches the client only as a generic message, so no stack,
 * SQL or secret ever leaks.
 */
export function formatError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const extensions = extensionsOf(original);
    if (extensions) return { message: (original as Error).message, locations: formatted.locations, path: formatted.path, extensions };
    const code = formatted.extensions?.code;
    // By its toStringTag, not instanceof: Apollo and this code may load different copies of
    // graphql-js, and Apollo's own errors are subclasses (SyntaxError, BadRequestError, …).
    const isGraphQLError = Object.prototype.toString.call(original) === '[object GraphQLError]';
    if (typeof code === 'string' && (PUBLIC_CODES.has(code) || code.startsWith('STORAGE_')) && (isGraphQLError || !(original instanceof Error))) {
      const { stacktrace: _stacktrace, ...rest } = formatted.extensions ?? {};
      return { ...formatted, extensions: rest };
    }
    logger.error({ err: original, path: formatted.path }, 'unexpected error in a GraphQL operation');
    return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}
