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
