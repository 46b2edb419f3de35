export const STORAGE_ERROR_CODES = [
  'INVALID_CONFIGURATION',
  'INVALID_CREDENTIALS',
  'BUCKET_NOT_FOUND',
  'ACCESS_DENIED',
  'ENDPOINT_UNREACHABLE',
  'NOT_FOUND',
  'INVALID_KEY',
  /** The store holds, or was sent, bytes other than the file's: nothing may count as stored. */
  'CHECKSUM_MISMATCH',
  'UNKNOWN',
] as const;
export type StorageErrorCode = (typeof STORAGE_ERROR_CODES)[number];

export type StorageOperation = 'write' | 'read' | 'stat' | 'delete' | 'list' | 'sign';

/**
 * The one error family every driver throws: what was attempted, where, and a stable code,
 * so callers never parse SDK messages. `message` never contains a credential.
 */
export class StorageError extends Error {
  override readonly name = 'StorageError';

  constructor(
    readonly code: StorageErrorCode,
    readonly operation: StorageOperation,
    readonly location: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  static is(error: unknown, code?: StorageErrorCode): error is StorageError {
    return error instanceof StorageError && (code === undefined || error.code === code);
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

/** The network failure (refused, unresolvable, reset, TLS…) somewhere in an error's causes, if it was one. */
export function networkCode(error: unknown): string | undefined {
  for (let e = error as { code?: string; cause?: unknown; errors?: unknown[] } | undefined, depth = 0; e && depth < 5; depth++) {
    if (e.code && NETWORK_CODES.has(e.code)) return e.code;
    const inner = e.errors?.find((x) => NETWORK_CODES.has((x as { code?: string }).code ?? ''));
    if (inner) return (inner as { code: string }).code;
    e = e.cause as typeof e;
  }
  return undefined;
}

/** A network failure in words. */
export function networkReason(error: unknown): string {
  const code = networkCode(error);
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused: nothing is listening there',
    ENOTFOUND: 'the host name does not resolve',
    EAI_AGAIN: 'the host name could not be resolved right now',
    ETIMEDOUT: 'the connection timed out',
    ECONNRESET: 'the connection was reset',
  };
  if (code) return reasons[code] ?? code;
  return (error as Error)?.name === 'TimeoutError' ? 'the request timed out' : 'network error';
}
