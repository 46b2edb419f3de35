/**
 * What services throw when a request cannot be done: transport-free, so services run the same
 * from GraphQL, an HTTP route, a job or a command. Each transport maps them in one place
 * (GraphQL: `http/graphql-errors.ts`; HTTP routes: `http/errors.ts`). Storage failures have their
 * own family, `StorageError` (storage/errors.ts).
 */

/** One problem with one input field, worded for the person who typed it. */
export interface InputProblem {
  field: string;
  message: string;
}

/** Bad input: the message names the field and the problem; `problems` lists every one. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';

  constructor(
    message: string,
    readonly field?: string,
    readonly problems?: InputProblem[],
  ) {
    super(message);
  }

  static fromProblems(problems: InputProblem[]): InvalidInputError {
    return new InvalidInputError(problems.map((p) => p.message).join('; '), problems[0]?.field, problems);
  }
}

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

export type RefusalCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'TOO_MANY_REQUESTS'
  | 'PLUGIN_NOT_INSTALLED'
  | 'PURCHASE_REQUIRED'
  | 'LOCATION_IN_USE'
  | 'BULK_JOB_STATE'
  | 'NOTHING_TO_RETRY'
  | 'BULK_JOB_OVERLAP';

/** A well-formed request that is refused: who is asking, how often, or what must happen first. */
export class RefusedError extends Error {
  override readonly name = 'RefusedError';

  constructor(
    readonly code: RefusalCode,
    message: string,
    /** Machine-readable details for the client, e.g. `retryAfterSeconds`. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const tooManyRequests = (what: string, retryAfterSeconds: number) =>
  new RefusedError('TOO_MANY_REQUESTS', `Too many ${what}. Try again in ${retryAfterSeconds} seconds.`, { retryAfterSeconds });
