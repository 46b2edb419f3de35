// Errors as GCS words them. The JSON API answers {"error":{"code","message","errors":[…]}}; the
// XML API (storage.googleapis.com/<bucket>/<object>, signed URLs) answers <Error><Code>…</Code>.
// The texts are GCS's own (from its responses, the SDK's tests and fake-gcs-server) so that a
// driver mapping them to codes is tested against what production sends.

export interface XmlErrorParts {
  code: string;
  message: string;
  details?: string;
  /** Extra elements GCS adds, e.g. StringToSign and CanonicalRequest for SignatureDoesNotMatch. */
  extra?: Record<string, string>;
}

export class GcsError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly options: { domain?: string; locationType?: string; location?: string; xml?: XmlErrorParts; headers?: Record<string, string> } = {},
  ) {
    super(message);
  }

  jsonBody(): string {
    const { domain = 'global', locationType, location } = this.options;
    const detail = { message: this.message, domain, reason: this.reason, ...(locationType ? { locationType, location } : {}) };
    return JSON.stringify({ error: { code: this.status, message: this.message, errors: [detail] } });
  }

  xmlBody(): string {
    const parts = this.options.xml ?? { code: defaultXmlCode(this.status), message: this.message };
    const extra = Object.entries(parts.extra ?? {})
      .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
      .join('');
    const details = parts.details ? `<Details>${escapeXml(parts.details)}</Details>` : '';
    return `<?xml version='1.0' encoding='UTF-8'?><Error><Code>${parts.code}</Code><Message>${escapeXml(parts.message)}</Message>${details}${extra}</Error>`;
  }
}

function defaultXmlCode(status: number): string {
  const codes: Record<number, string> = {
    400: 'InvalidArgument',
    401: 'AuthenticationRequired',
    403: 'AccessDenied',
    404: 'NoSuchKey',
    412: 'PreconditionFailed',
    416: 'InvalidRange',
    429: 'SlowDown',
    503: 'ServiceUnavailable',
  };
  return codes[status] ?? 'InternalError';
}

/** Element text needs only these three escaped (GCS leaves quotes and apostrophes as they are). */
export function escapeXml(text: string): string {
  return text.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);
}

/** Who is asking: a service account's email, or nobody (no credentials at all). */
export type Caller = { email: string } | 'anonymous';

/** The resource a permission is checked on, as GCS names it in the denial. */
const resourceOf = (permission: string) => (permission.startsWith('storage.objects.') && permission !== 'storage.objects.list' ? 'object' : 'bucket');

/**
 * Permission denied, naming the permission. On the JSON API an anonymous caller gets 401 with
 * reason "required" (GCS's "authenticate and try again"), an account 403 "forbidden"; the XML
 * API (a browser opening a private object's URL) answers 403 AccessDenied to both.
 */
export function permissionDenied(caller: Caller, permission: string, api: 'json' | 'xml' = 'json'): GcsError {
  const who = caller === 'anonymous' ? 'Anonymous caller' : caller.email;
  const message = `${who} does not have ${permission} access to the Google Cloud Storage ${resourceOf(permission)}. Permission '${permission}' denied on resource (or it may not exist).`;
  const xml = { code: 'AccessDenied', message: 'Access denied.', details: message };
  if (caller === 'anonymous' && api === 'json') return new GcsError(401, 'required', message, { locationType: 'header', location: 'Authorization', xml });
  return new GcsError(403, 'forbidden', message, { xml });
}

export const invalidCredentials = () =>
  new GcsError(401, 'authError', 'Invalid Credentials', {
    locationType: 'header',
    location: 'Authorization',
    xml: { code: 'AuthenticationRequired', message: 'Authentication required.' },
  });

export const bucketNotFound = () =>
  new GcsError(404, 'notFound', 'The specified bucket does not exist.', { xml: { code: 'NoSuchBucket', message: 'The specified bucket does not exist.' } });

export const objectNotFound = (bucket: string, name: string) =>
  new GcsError(404, 'notFound', `No such object: ${bucket}/${name}`, {
    xml: { code: 'NoSuchKey', message: 'The specified key does not exist.', details: `No such object: ${bucket}/${name}` },
  });

export const invalid = (message: string, reason = 'invalid') => new GcsError(400, reason, message);

export const notFound = (message = 'Not Found') => new GcsError(404, 'notFound', message);

export const uniformAccessAcl = () =>
  invalid(
    'Cannot insert legacy ACL for an object when uniform bucket-level access is enabled. Read more at https://cloud.google.com/storage/docs/uniform-bucket-level-access',
  );

export const preconditionFailed = () =>
  new GcsError(412, 'conditionNotMet', 'At least one of the pre-conditions you specified did not hold.', { locationType: 'header', location: 'If-Match' });

export const rangeNotSatisfiable = (size: number) =>
  new GcsError(416, 'requestedRangeNotSatisfiable', 'The requested range cannot be satisfied.', {
    xml: { code: 'InvalidRange', message: 'The requested range cannot be satisfied.' },
    headers: { 'Content-Range': `bytes */${size}` },
  });

/** What GCS answers while overloaded (503) or throttling (429): both retryable for the SDK. */
export function transientError(status: number, bucket: string | undefined, name: string | undefined): GcsError {
  if (status === 429) {
    const target = bucket && name ? `${bucket}/${name}` : (bucket ?? 'the bucket');
    const message = `The rate of change requests to the object ${target} exceeds the rate limit. Please reduce the rate of create, update, and delete requests.`;
    return new GcsError(429, 'rateLimitExceeded', message, { domain: 'usageLimits', xml: { code: 'SlowDown', message } });
  }
  const message = 'We encountered an internal error. Please try again.';
  return new GcsError(status, status === 503 ? 'backendError' : 'internalError', message, { xml: { code: 'InternalError', message } });
}
