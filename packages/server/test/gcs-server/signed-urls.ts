// V4 signed URLs, verified from first principles (not with the SDK's signer, which would only prove
// the SDK agrees with itself): https://cloud.google.com/storage/docs/access-control/signing-urls-manually
//   canonical request = method \n canonical URI \n canonical query \n canonical headers \n signed headers \n payload
//   string to sign    = GOOG4-RSA-SHA256 \n X-Goog-Date \n credential scope \n hex(SHA-256(canonical request))
//   signature         = hex(RSA-SHA256(string to sign)) with the service account's private key
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Account, Accounts } from './auth.js';
import { GcsError } from './errors.js';

const ALGORITHM = 'GOOG4-RSA-SHA256';
const MAX_EXPIRES_S = 7 * 24 * 3600;

/** Google's encoding for signing: everything but A-Z a-z 0-9 - . _ ~ is percent-encoded (UTF-8, upper-case hex). */
export const encodeForSigning = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Whether the query asks for V4 query-string authentication at all. */
export const isSignedUrl = (query: URLSearchParams) => [...query.keys()].some((k) => /^x-goog-(signature|algorithm|credential)$/i.test(k));

function param(query: URLSearchParams, name: string): string | undefined {
  for (const [key, value] of query) if (key.toLowerCase() === name.toLowerCase()) return value;
  return undefined;
}

const badParameters = (message: string) => new GcsError(400, 'invalid', message, { xml: { code: 'AuthorizationQueryParametersError', message } });

interface V4Params {
  email: string;
  scope: string;
  date: string;
  expires: number;
  signedHeaders: string[];
  signature: Buffer;
}

function readParams(query: URLSearchParams): V4Params {
  const algorithm = param(query, 'X-Goog-Algorithm');
  const credential = param(query, 'X-Goog-Credential');
  const date = param(query, 'X-Goog-Date');
  const expires = param(query, 'X-Goog-Expires');
  const signedHeaders = param(query, 'X-Goog-SignedHeaders');
  const signature = param(query, 'X-Goog-Signature');
  if (!algorithm || !credential || !date || !expires || !signedHeaders || !signature) {
    throw badParameters(
      'Query-string authentication version 4 requires the X-Goog-Algorithm, X-Goog-Credential, X-Goog-Date, X-Goog-Expires, X-Goog-SignedHeaders, and X-Goog-Signature query parameters.',
    );
  }
  if (algorithm !== ALGORITHM) throw badParameters(`Unsupported signing algorithm ${algorithm} (the test server verifies ${ALGORITHM} only).`);
  const slash = credential.indexOf('/');
  if (slash < 0 || !/^\d{8}\/[^/]+\/storage\/goog4_request$/.test(credential.slice(slash + 1))) throw badParameters(`Invalid credential scope: ${credential}`);
  if (!/^\d{8}T\d{6}Z$/.test(date)) throw badParameters(`Invalid X-Goog-Date: ${date}`);
  if (!/^\d+$/.test(expires) || Number(expires) < 1 || Number(expires) > MAX_EXPIRES_S)
    throw badParameters(`X-Goog-Expires must be a number of seconds between 1 and ${MAX_EXPIRES_S} (7 days), got ${expires}.`);
  if (!/^[0-9a-f]+$/i.test(signature) || signature.length % 2 !== 0) throw signatureMismatch('', '');
  return {
    email: credential.slice(0, slash),
    scope: credential.slice(slash + 1),
    date,
    expires: Number(expires),
    signedHeaders: signedHeaders.split(';').map((h) => h.trim().toLowerCase()),
    signature: Buffer.from(signature, 'hex'),
  };
}

const dateOf = (goog: string) =>
  new Date(Date.UTC(+goog.slice(0, 4), +goog.slice(4, 6) - 1, +goog.slice(6, 8), +goog.slice(9, 11), +goog.slice(11, 13), +goog.slice(13, 15)));

function signatureMismatch(stringToSign: string, canonicalRequest: string): GcsError {
  const details = 'The request signature we calculated does not match the signature you provided. Check your Google secret key and signing method.';
  return new GcsError(403, 'forbidden', details, {
    xml: {
      code: 'SignatureDoesNotMatch',
      message: 'Access denied.',
      details,
      extra: stringToSign ? { StringToSign: stringToSign, CanonicalRequest: canonicalRequest } : {},
    },
  });
}

function expired(at: Date): GcsError {
  const details = `The provided token has expired. Request signature expired at: ${at.toISOString().replace(/\.\d{3}Z$/, '+00:00')}`;
  return new GcsError(400, 'invalid', details, { xml: { code: 'ExpiredToken', message: 'Invalid argument.', details } });
}

/** The Host as signed: GCS is only ever reached on the default port, and the SDK signs the hostname alone (no port). */
const canonicalHost = (host: string) => host.replace(/:\d+$/, '');

export function canonicalRequest(method: string, segments: string[], query: URLSearchParams, headers: IncomingHttpHeaders, signedHeaders: string[]): string {
  const uri = `/${segments.map(encodeForSigning).join('/')}`;
  const canonicalQuery = [...query]
    .filter(([key]) => key.toLowerCase() !== 'x-goog-signature')
    .map(([key, value]) => [encodeForSigning(key), encodeForSigning(value)] as const)
    .sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const canonicalHeaders = signedHeaders
    .map((name) => {
      const raw = headers[name];
      const value = [raw ?? []].flat().join(',').trim().replace(/\s+/g, ' ');
      return `${name}:${name === 'host' ? canonicalHost(value) : value}\n`;
    })
    .join('');
  const payload = typeof headers['x-goog-content-sha256'] === 'string' ? headers['x-goog-content-sha256'] : 'UNSIGNED-PAYLOAD';
  return [method, uri, canonicalQuery, canonicalHeaders, signedHeaders.join(';'), payload].join('\n');
}

/**
 * Verifies a V4-signed request and returns the account that signed it. Refusals as GCS sends them:
 * 400 AuthorizationQueryParametersError (missing/invalid parameters), 400 ExpiredToken,
 * 403 SignatureDoesNotMatch (with the StringToSign and CanonicalRequest GCS computed).
 */
export function verifySignedRequest(
  accounts: Accounts,
  request: { method: string; segments: string[]; query: URLSearchParams; headers: IncomingHttpHeaders },
  now = new Date(),
): Account {
  const params = readParams(request.query);
  if (!params.signedHeaders.includes('host')) throw badParameters('The host header must be signed (X-Goog-SignedHeaders must include host).');
  const expiresAt = new Date(dateOf(params.date).getTime() + params.expires * 1000);
  if (now.getTime() > expiresAt.getTime()) throw expired(expiresAt);
  const canonical = canonicalRequest(request.method, request.segments, request.query, request.headers, params.signedHeaders);
  const stringToSign = [ALGORITHM, params.date, params.scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const account = accounts.get(params.email);
  if (!account || !accounts.signedByAccount(account, Buffer.from(stringToSign), params.signature)) throw signatureMismatch(stringToSign, canonical);
  return account;
}
