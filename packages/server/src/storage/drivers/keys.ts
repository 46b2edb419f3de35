import { StorageError } from './errors.js';

/**
 * A result's relative path, checked: `/`-separated segments, none empty, `.` or `..`, no
 * backslash or control character, at most 1024 bytes (S3's key limit).
 */
export function checkRelativePath(path: string): string | null {
  if (!path) return 'must not be empty';
  if (path.startsWith('/')) return 'must be relative (no leading /)';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'must not contain control characters';
  if (path.includes('\\')) return 'must use / between folders, not \\';
  if (path.split('/').some((s) => s === '' || s === '.' || s === '..')) return 'must not contain empty, "." or ".." segments';
  if (Buffer.byteLength(path) > 1024) return 'must be at most 1024 bytes';
  return null;
}

export function assertKey(key: string, operation: 'write' | 'read' | 'stat' | 'delete' | 'sign'): void {
  const problem = checkRelativePath(key);
  if (problem) throw new StorageError('INVALID_KEY', operation, key, `Object key ${JSON.stringify(key)} ${problem}`);
}

/** `<prefix>/<path>`, or just the path when there is no prefix. */
export const objectKey = (prefix: string, path: string) => (prefix ? `${prefix}/${path}` : path);

/** `<base>/<key>` with each path segment encoded; null when there is no base URL. */
export const publicObjectUrl = (base: string, key: string): string | null => (base ? `${base}/${key.split('/').map(encodeURIComponent).join('/')}` : null);
