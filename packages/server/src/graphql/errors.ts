import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import type { Logger } from '../logger.js';

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
]);

/** Bad input: the message names the field and the problem; `problems` lists every one. */
export class UserInputError extends GraphQLError {
  constructor(message: string, field?: string, problems?: { field: string; message: string }[]) {
    super(message, { extensions: { code: 'BAD_USER_INPUT', ...(field ? { field } : {}), ...(problems ? { problems } : {}) } });
  }

  static fromProblems(problems: { field: string; message: string }[]): UserInputError {
    return new UserInputError(problems.map((p) => p.message).join('; '), problems[0]?.field, problems);
  }
}

export class DomainError extends GraphQLError {
  constructor(code: 'PLUGIN_NOT_INSTALLED' | 'PURCHASE_REQUIRED', message: string) {
    super(message, { extensions: { code } });
  }
}

export class NotFoundError extends GraphQLError {
  constructor(message: string) {
    super(message, { extensions: { code: 'NOT_FOUND' } });
  }
}

/**
 * Known errors pass through with their code; unknown ones are logged with the request id and
 * reach the client only as a generic message, so no stack, SQL or secret ever leaks.
 */
export function formatError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    const original = unwrapResolverError(error);
    // By its toStringTag, not instanceof: Apollo and this code may load different copies of
    // graphql-js, and Apollo's own errors are subclasses (SyntaxError, BadRequestError, …).
    const isGraphQLError = Object.prototype.toString.call(original) === '[object GraphQLError]';
    if (typeof code === 'string' && (PUBLIC_CODES.has(code) || code.startsWith('STORAGE_')) && (isGraphQLError || !(original instanceof Error))) {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    logger.error({ err: original, path: formatted.path }, 'unexpected error in a GraphQL operation');
    return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}
