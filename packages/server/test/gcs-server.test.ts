import { createHash, randomBytes, randomUUID, sign } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CRC32C, IdempotencyStrategy, Storage } from '@google-cloud/storage';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  forgedGcsKey,
  gcsAdmin,
  gcsStorage,
  gcsStorageOptions,
  gcsTestTarget,
  newGcsAccount,
  NO_GCS_EMULATOR,
  resumableSave,
  SDK_TOKEN_URL,
  type GcsServiceAccountKey,
  type GcsTestTarget,
} from './gcs.js';
import { crc32c, crc32cBase64 } from './gcs-server/crc32c.js';
import { skipBecause } from './skip.js';

// The GCS driver's tests are only as strong as the server they run against: prove that the test
// server authenticates, authorizes, verifies and fails the way GCS does, with the real SDK and with
// raw HTTP, so that a passing driver test means something.

let target: GcsTestTarget;
const prefix = `suite-check/${randomUUID()}`;
const KiB = 1024;
const MiB = 1024 * KiB;

beforeAll(async () => {
  target = await gcsTestTarget();
});

const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('base64');
/** The SDK's own CRC32C of `data`, to check the server's against. */
const sdkCrc32c = (data: Buffer) => {
  const crc = new CRC32C();
  crc.update(data);
  return crc.toString();
};
const storageAs = (key: GcsServiceAccountKey) => gcsStorage(target.endpoint, key);
const emulatorOnly = (ctx: Parameters<typeof skipBecause>[0]) => skipBecause(ctx, !target.emulated && NO_GCS_EMULATOR);

interface Failure {
  status?: number;
  message: string;
  reason?: string;
  code?: unknown;
}

/** How a call failed, as a caller sees it: the HTTP status, GCS's message and reason. */
async function failure(promise: Promise<unknown>): Promise<Failure> {
  try {
    await promise;
  } catch (e) {
    const error = e as {
      code?: unknown;
      status?: number;
      message: string;
      errors?: { reason?: string }[];
      response?: { status?: number; data?: { error?: { message?: string; errors?: { reason?: string }[] } } };
    };
    const status = typeof error.code === 'number' ? error.code : (error.response?.status ?? error.status);
    const body = error.response?.data?.error;
    return { status, message: body?.message ?? error.message, reason: body?.errors?.[0]?.reason ?? error.errors?.[0]?.reason, code: error.code };
  }
  throw new Error('expected the call to fail, and it succeeded');
}

const deniedText = (email: string, permission: string, resource: 'object' | 'bucket' = 'object') =>
  `${email} does not have ${permission} access to the Google Cloud Storage ${resource}. Permission '${permission}' denied on resource (or it may not exist).`;

/** A JWT-bearer assertion for `key`, signed here (not by the SDK). */
function assertion(key: GcsServiceAccountKey, claims: Record<string, unknown>): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}`;
  return `${unsigned}.${sign('RSA-SHA256', Buffer.from(unsigned), key.private_key).toString('base64url')}`;
}

async function exchange(key: GcsServiceAccountKey, claims: Record<string, unknown>) {
  const body = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: assertion(key, claims) });
  const response = await fetch(key.token_uri, { method: 'POST', body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const goodClaims = (key: GcsServiceAccountKey) => {
  const now = Math.floor(Date.now() / 1000);
  return { iss: key.client_email, scope: 'https://www.googleapis.com/auth/devstorage.full_control', aud: key.token_uri, iat: now, exp: now + 3600 };
};

async function exists(key: GcsServiceAccountKey, name: string, bucket = target.bucket) {
  return (await storageAs(key).bucket(bucket).file(name).exists())[0];
}

describe('the GCS test server: credentials', () => {
  it('is reached through the key’s token_uri only when the SDK is told to (it posts to Google’s URL otherwise)', async () => {
    const asked: string[] = [];
    const storage = new Storage({
      ...gcsStorageOptions(target.endpoint, target.full),
      credentials: { client_email: target.full.client_email, private_key: target.full.private_key, token_uri: target.full.token_uri } as never,
      clientOptions: {
        transporterOptions: {
          adapter: async (options) => {
            asked.push(String(options.url));
            throw new Error('stopped before leaving the process');
          },
        },
      },
      retryOptions: { autoRetry: false },
    });
    await failure(storage.bucket(target.bucket).file('x').getMetadata());
    expect(asked[0]).toBe(SDK_TOKEN_URL);
    if (target.emulated) expect(target.full.token_uri).toBe(`${target.endpoint}/token`);
  });

  it('refuses a key with the right email but another private key, at the token exchange (invalid_grant)', async () => {
    const forged = storageAs(forgedGcsKey(target.full));
    const refused = await failure(forged.bucket(target.bucket).file(`${prefix}/forged`).save('x', { resumable: false }));
    expect(refused.message).toMatch(/^invalid_grant: Invalid JWT Signature\.$/);
  });

  it('refuses a deleted account: no new token (account not found), and its live token stops working', async (ctx) => {
    emulatorOnly(ctx);
    const key = await newGcsAccount('admin');
    const storage = storageAs(key);
    await storage.bucket(target.bucket).file(`${prefix}/revoked`).save('x', { resumable: false });
    await gcsAdmin.revokeAccount(key.client_email);
    const withOldToken = await failure(storage.bucket(target.bucket).file(`${prefix}/revoked`).getMetadata());
    expect(withOldToken).toMatchObject({ status: 401, message: 'Invalid Credentials', reason: 'authError' });
    const fresh = await failure(storageAs(key).bucket(target.bucket).file(`${prefix}/revoked`).getMetadata());
    expect(fresh.message).toBe('invalid_grant: Invalid grant: account not found');
  });

  it('answers the token endpoint as Google does for expired, misaddressed and scopeless assertions', async (ctx) => {
    emulatorOnly(ctx);
    const key = target.full;
    const now = Math.floor(Date.now() / 1000);
    const good = goodClaims(key);
    const ok = await exchange(key, good);
    expect(ok).toMatchObject({ status: 200, body: { expires_in: 3599, token_type: 'Bearer' } });
    expect(ok.body.access_token).toMatch(/^ya29\./);
    expect(await exchange(key, { ...good, iat: now - 7200, exp: now - 3600 })).toEqual({
      status: 400,
      body: {
        error: 'invalid_grant',
        error_description:
          'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      },
    });
    expect((await exchange(key, { ...good, exp: now + 7200 })).body.error).toBe('invalid_grant');
    expect((await exchange(key, { ...good, aud: 'https://example.com/token' })).body).toEqual({
      error: 'invalid_grant',
      error_description: 'Invalid JWT: Failed audience check.',
    });
    expect((await exchange(key, { ...good, scope: undefined })).body).toEqual({
      error: 'invalid_scope',
      error_description: 'Empty or missing scope not allowed.',
    });
    expect((await exchange(key, { ...good, iss: 'nobody@offload-test.iam.gserviceaccount.com' })).body).toEqual({
      error: 'invalid_grant',
      error_description: 'Invalid grant: account not found',
    });
  });

  it('answers JSON API calls without credentials 401 (anonymous) and with an unknown token 401 Invalid Credentials', async () => {
    const url = `${target.endpoint}/storage/v1/b/${target.bucket}/o/${encodeURIComponent(`${prefix}/nothing`)}`;
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    const anonymousBody = (await anonymous.json()) as { error: { errors: { reason: string }[] } };
    expect(anonymousBody.error.errors[0]!.reason).toBe('required');
    const unknown = await fetch(url, { headers: { authorization: 'Bearer ya29.not-a-token' } });
    expect(unknown.status).toBe(401);
    const unknownBody = await unknown.json();
    if (!target.emulated) return;
    const message =
      "Anonymous caller does not have storage.objects.get access to the Google Cloud Storage object. Permission 'storage.objects.get' denied on resource (or it may not exist).";
    expect(anonymousBody).toEqual({
      error: { code: 401, message, errors: [{ message, domain: 'global', reason: 'required', locationType: 'header', location: 'Authorization' }] },
    });
    expect(unknownBody).toEqual({
      error: {
        code: 401,
        message: 'Invalid Credentials',
        errors: [{ message: 'Invalid Credentials', domain: 'global', reason: 'authError', locationType: 'header', location: 'Authorization' }],
      },
    });
  });

  it('refuses an anonymous resumable upload: what SDK 7.22 sends from save({ resumable }) to a custom endpoint', async (ctx) => {
    emulatorOnly(ctx);
    const file = storageAs(target.full).bucket(target.bucket).file(`${prefix}/sdk-resumable-without-auth`);
    const refused = await failure(file.save(Buffer.alloc(10), { resumable: true }));
    expect(refused.status).toBe(401);
    // The documented way round it (test/gcs.ts, note 3) uploads.
    await resumableSave(file, Buffer.alloc(10));
    expect(await exists(target.full, file.name)).toBe(true);
  });
});

describe('the GCS test server: objects with the SDK', () => {
  it('saves (simple and chunked resumable), reads back, lists in pages and deletes for a full-access account', async () => {
    const bucket = storageAs(target.full).bucket(target.bucket);
    const simpleName = `${prefix}/objects/simple ü [1] #+% .txt`;
    await bucket.file(simpleName).save('hello world', {
      resumable: false,
      contentType: 'text/plain',
      metadata: { cacheControl: 'public, max-age=60', metadata: { origin: 'suite' } },
    });
    const [meta] = await bucket.file(simpleName).getMetadata();
    expect(meta).toMatchObject({ name: simpleName, bucket: target.bucket, size: '11', contentType: 'text/plain', cacheControl: 'public, max-age=60' });
    expect(meta.metadata).toEqual({ origin: 'suite' });
    expect(meta.md5Hash).toBe(md5('hello world'));
    expect(meta.crc32c).toBe(sdkCrc32c(Buffer.from('hello world')));
    expect((await bucket.file(simpleName).download())[0].toString()).toBe('hello world');

    const since = target.emulated ? await gcsAdmin.lastRequest() : 0;
    const data = randomBytes(700 * KiB);
    const resumableName = `${prefix}/objects/resumable.bin`;
    await resumableSave(bucket.file(resumableName), data, { chunkSize: 256 * KiB, contentType: 'application/octet-stream' });
    expect((await bucket.file(resumableName).download())[0].equals(data)).toBe(true);
    const range = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      bucket
        .file(resumableName)
        .createReadStream({ start: 1000, end: 1999 })
        .on('data', (c: Buffer) => chunks.push(c))
        .on('end', () => resolve(Buffer.concat(chunks)))
        .on('error', reject);
    });
    expect(range.equals(data.subarray(1000, 2000))).toBe(true);
    if (target.emulated) {
      const puts = (await gcsAdmin.requests({ since, object: resumableName })).filter((r) => r.method === 'PUT');
      expect(puts.map((r) => [r.contentRange, r.status])).toEqual([
        ['bytes */*', 308],
        ['bytes 0-262143/*', 308],
        ['bytes 262144-524287/*', 308],
        [`bytes 524288-${data.length - 1}/${data.length}`, 200],
      ]);
    }

    const listed = Array.from({ length: 5 }, (_, i) => `${prefix}/list/${i}.txt`);
    await Promise.all([...listed, `${prefix}/list/sub/deeper.txt`].map((n) => bucket.file(n).save(n, { resumable: false })));
    const names: string[] = [];
    const prefixes: string[] = [];
    let query: Record<string, unknown> | null = { prefix: `${prefix}/list/`, delimiter: '/', maxResults: 2, autoPaginate: false };
    let pages = 0;
    while (query) {
      const [files, next, response] = await bucket.getFiles(query);
      names.push(...files.map((f) => f.name));
      prefixes.push(...(((response as { prefixes?: string[] }).prefixes ?? []) as string[]));
      query = next as Record<string, unknown> | null;
      pages++;
    }
    expect(names).toEqual(listed);
    expect(prefixes).toEqual([`${prefix}/list/sub/`]);
    expect(pages).toBe(3);

    await bucket.file(simpleName).delete();
    expect(await exists(target.full, simpleName)).toBe(false);
    const again = await failure(bucket.file(simpleName).delete());
    expect(again).toMatchObject({ status: 404, message: `No such object: ${target.bucket}/${simpleName}`, reason: 'notFound' });
  });

  it('keeps names with unicode, spaces, brackets, #, +, %, ? and slashes intact in every API', async () => {
    const bucket = storageAs(target.full).bucket(target.bucket);
    const names = [`${prefix}/names/日本語 ünï.txt`, `${prefix}/names/a+b c#d[e]%20f?g=h&i.txt`, `${prefix}/names/emoji 🎉 ~!*'().txt`];
    for (const name of names) {
      await bucket.file(name).save(name, { resumable: false, contentType: 'text/plain' });
      expect((await bucket.file(name).getMetadata())[0].name).toBe(name);
      expect((await bucket.file(name).download())[0].toString()).toBe(name);
      const [signed] = await bucket.file(name).getSignedUrl({ version: 'v4', action: 'read', expires: Date.now() + 60_000 });
      expect(await (await fetch(signed)).text()).toBe(name);
    }
    const [listed] = await bucket.getFiles({ prefix: `${prefix}/names/` });
    expect(listed.map((f) => f.name).sort()).toEqual([...names].sort());
    for (const name of names) await bucket.file(name).delete();
  });

  it('answers 404 "The specified bucket does not exist." for every call on a missing bucket', async () => {
    const bucket = storageAs(target.full).bucket(`offload-missing-${randomUUID().slice(0, 8)}`);
    const expected = { status: 404, message: 'The specified bucket does not exist.', reason: 'notFound' };
    expect(await failure(bucket.getMetadata())).toMatchObject(expected);
    expect(await failure(bucket.file('x').getMetadata())).toMatchObject(expected);
    expect(await failure(bucket.file('x').save('x', { resumable: false }))).toMatchObject(expected);
    expect(await failure(bucket.getFiles())).toMatchObject(expected);
    expect((await failure(bucket.file('x').download())).status).toBe(404);
    expect((await bucket.exists())[0]).toBe(false);
  });

  it('speaks the resumable protocol over raw HTTP: 308 and Range, offsets, small chunks, idempotent finalization', async () => {
    const token = (await exchange(target.full, goodClaims(target.full))).body.access_token as string;
    const name = `${prefix}/raw-resumable.bin`;
    const init = await fetch(`${target.endpoint}/upload/storage/v1/b/${target.bucket}/o?uploadType=resumable&name=${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-upload-content-type': 'application/pdf' },
      body: JSON.stringify({ metadata: { step: 'raw' } }),
    });
    expect(init.status).toBe(200);
    const session = init.headers.get('location')!;
    expect(session).toContain('upload_id=');
    const put = (range: string, body?: Buffer) => fetch(session, { method: 'PUT', headers: { 'content-range': range }, body: body ?? Buffer.alloc(0) });
    const nothingYet = await put('bytes */*');
    expect([nothingYet.status, nothingYet.headers.get('range')]).toEqual([308, null]);
    const data = randomBytes(256 * KiB + 100);
    const first = await put('bytes 0-262143/*', data.subarray(0, 256 * KiB));
    expect([first.status, first.headers.get('range')]).toEqual([308, 'bytes=0-262143']);
    expect((await put('bytes 300000-300099/*', Buffer.alloc(100))).status).toBe(400);
    const status = await put('bytes */*');
    expect([status.status, status.headers.get('range')]).toEqual([308, 'bytes=0-262143']);
    const last = await put(`bytes 262144-${data.length - 1}/${data.length}`, data.subarray(256 * KiB));
    expect(last.status).toBe(200);
    const object = (await last.json()) as Record<string, unknown>;
    expect(object).toMatchObject({ name, size: String(data.length), contentType: 'application/pdf', md5Hash: md5(data), metadata: { step: 'raw' } });
    // The final request again (a client that lost the answer) gets the same object.
    const again = await put('bytes */*');
    expect([again.status, ((await again.json()) as { generation: string }).generation]).toEqual([200, object.generation]);

    // A chunk smaller than 256 KiB that is not the last one is refused.
    const other = await fetch(`${target.endpoint}/upload/storage/v1/b/${target.bucket}/o?uploadType=resumable&name=${encodeURIComponent(`${name}.2`)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const small = await fetch(other.headers.get('location')!, { method: 'PUT', headers: { 'content-range': 'bytes 0-999/*' }, body: Buffer.alloc(1000) });
    expect(small.status).toBe(400);
  });

  it('refuses legacy ACLs on its uniform bucket-level access buckets (400), creating nothing', async () => {
    const file = storageAs(target.full).bucket(target.bucket).file(`${prefix}/acl`);
    const text =
      'Cannot insert legacy ACL for an object when uniform bucket-level access is enabled. Read more at https://cloud.google.com/storage/docs/uniform-bucket-level-access';
    expect(await failure(file.save('x', { resumable: false, predefinedAcl: 'publicRead' }))).toMatchObject({ status: 400, message: text, reason: 'invalid' });
    expect(await failure(file.save('x', { resumable: false, metadata: { acl: [{ entity: 'allUsers', role: 'READER' }] } }))).toMatchObject({
      status: 400,
      message: text,
    });
    expect(await exists(target.full, file.name)).toBe(false);
    await file.save('x', { resumable: false });
    expect((await failure(file.makePublic())).status).toBe(400);
  });

  it('refuses an upload whose declared md5Hash or crc32c does not match, leaving the previous object as it was', async () => {
    const bucket = storageAs(target.full).bucket(target.bucket);
    const name = `${prefix}/checksums`;
    const data = Buffer.from('the real bytes');
    const wrongMd5 = md5('other bytes');
    const simple = await failure(bucket.file(name).save(data, { resumable: false, metadata: { md5Hash: wrongMd5 } }));
    expect(simple).toMatchObject({
      status: 400,
      reason: 'invalid',
      message: `Provided MD5 hash "${wrongMd5}" doesn't match calculated MD5 hash "${md5(data)}".`,
    });
    expect(await exists(target.full, name)).toBe(false);

    await bucket.file(name).save('version 1', { resumable: false });
    const wrongCrc = crc32cBase64(crc32c(Buffer.from('other bytes')));
    const resumable = await failure(resumableSave(bucket.file(name), data, { metadata: { crc32c: wrongCrc } }));
    expect(resumable.message).toContain(`Provided CRC32C "${wrongCrc}" doesn't match calculated CRC32C "${sdkCrc32c(data)}".`);
    expect((await bucket.file(name).download())[0].toString()).toBe('version 1');
    // The right hashes are accepted.
    await bucket.file(name).save(data, { resumable: false, metadata: { md5Hash: md5(data), crc32c: sdkCrc32c(data) } });
  });

  it('honours preconditions: ifGenerationMatch 0 refuses to overwrite (412)', async () => {
    const file = storageAs(target.full).bucket(target.bucket).file(`${prefix}/precondition`);
    await file.save('first', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    const refused = await failure(file.save('second', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } }));
    expect(refused).toMatchObject({ status: 412, message: 'At least one of the pre-conditions you specified did not hold.', reason: 'conditionNotMet' });
    expect((await file.download())[0].toString()).toBe('first');
  });
});

describe('the GCS test server: IAM roles', () => {
  it('lets an objectViewer read and list, but not upload or delete (403 with the permission named)', async (ctx) => {
    emulatorOnly(ctx);
    const name = `${prefix}/viewer`;
    await storageAs(target.full).bucket(target.bucket).file(name).save('for viewers', { resumable: false });
    const bucket = storageAs(target.reader!).bucket(target.bucket);
    expect((await bucket.file(name).download())[0].toString()).toBe('for viewers');
    expect((await bucket.getFiles({ prefix: name }))[0].map((f) => f.name)).toEqual([name]);
    const email = target.reader!.client_email;
    expect(await failure(bucket.file(`${prefix}/viewer-upload`).save('x', { resumable: false }))).toMatchObject({
      status: 403,
      reason: 'forbidden',
      message: deniedText(email, 'storage.objects.create'),
    });
    expect((await failure(bucket.file(`${prefix}/viewer-upload`).createResumableUpload())).status).toBe(403);
    expect(await failure(bucket.file(name).delete())).toMatchObject({ status: 403, message: deniedText(email, 'storage.objects.delete') });
    expect(await failure(bucket.getMetadata())).toMatchObject({ status: 403, message: deniedText(email, 'storage.buckets.get', 'bucket') });
  });

  it('lets an objectCreator upload, but not read back, list, delete or overwrite', async (ctx) => {
    emulatorOnly(ctx);
    const bucket = storageAs(target.writer!).bucket(target.bucket);
    const email = target.writer!.client_email;
    const name = `${prefix}/creator`;
    await bucket.file(name).save('created', { resumable: false });
    await resumableSave(bucket.file(`${prefix}/creator-resumable`), randomBytes(300 * KiB), { chunkSize: 256 * KiB });
    expect(await failure(bucket.file(name).download())).toMatchObject({ status: 403 });
    expect((await failure(bucket.file(name).download())).message).toContain(deniedText(email, 'storage.objects.get'));
    expect(await failure(bucket.file(name).getMetadata())).toMatchObject({ status: 403, message: deniedText(email, 'storage.objects.get') });
    expect(await failure(bucket.getFiles())).toMatchObject({ status: 403, message: deniedText(email, 'storage.objects.list', 'bucket') });
    expect(await failure(bucket.file(name).delete())).toMatchObject({ status: 403, message: deniedText(email, 'storage.objects.delete') });
    // Overwriting is a delete too.
    expect(await failure(bucket.file(name).save('overwritten', { resumable: false }))).toMatchObject({
      status: 403,
      message: deniedText(email, 'storage.objects.delete'),
    });
    expect((await failure(bucket.file(name).createResumableUpload())).status).toBe(403);
    expect((await gcsAdmin.readObject(target.bucket, name))?.toString()).toBe('created');
    const [granted] = await bucket.iam.testPermissions(['storage.objects.create', 'storage.objects.get', 'storage.objects.delete']);
    expect(granted).toEqual({ 'storage.objects.create': true, 'storage.objects.get': false, 'storage.objects.delete': false });
  });

  it('lets an account with objectCreator and objectViewer (everything but delete) upload, read and list, but not delete or overwrite', async (ctx) => {
    emulatorOnly(ctx);
    const key = await newGcsAccount('objectCreatorViewer');
    const bucket = storageAs(key).bucket(target.bucket);
    const name = `${prefix}/creator-viewer`;
    await bucket.file(name).save('kept', { resumable: false });
    expect((await bucket.file(name).download())[0].toString()).toBe('kept');
    expect((await bucket.getFiles({ prefix: name }))[0].map((f) => f.name)).toEqual([name]);
    expect(await failure(bucket.file(name).delete())).toMatchObject({ status: 403, message: deniedText(key.client_email, 'storage.objects.delete') });
    expect(await failure(bucket.file(name).save('overwritten', { resumable: false }))).toMatchObject({
      status: 403,
      message: deniedText(key.client_email, 'storage.objects.delete'),
    });
    expect((await gcsAdmin.readObject(target.bucket, name))?.toString()).toBe('kept');
  });

  it('limits an account granted on one bucket to that bucket', async (ctx) => {
    emulatorOnly(ctx);
    const scratch = `offload-scratch-${randomUUID().slice(0, 8)}`;
    await gcsAdmin.createBucket(scratch);
    const key = await newGcsAccount('objectAdmin', [scratch]);
    const storage = storageAs(key);
    await storage.bucket(scratch).file('inside').save('ok', { resumable: false });
    expect(await failure(storage.bucket(target.bucket).file(`${prefix}/outside`).save('no', { resumable: false }))).toMatchObject({
      status: 403,
      message: deniedText(key.client_email, 'storage.objects.create'),
    });
    // objectAdmin has no storage.buckets.get (only roles/storage.admin does).
    expect((await failure(storage.bucket(scratch).getMetadata())).status).toBe(403);
    await gcsAdmin.deleteBucket(scratch);
  });
});

describe('the GCS test server: integrity and faults', () => {
  it('refuses a byte flipped in flight when md5Hash was declared, and lets the SDK’s own check catch it otherwise', async (ctx) => {
    emulatorOnly(ctx);
    const bucket = storageAs(target.full).bucket(target.bucket);
    const data = randomBytes(64 * KiB);
    const declared = `${prefix}/flip-declared`;
    await gcsAdmin.addFault({ match: { object: declared }, action: { type: 'flip', atByte: 1000 } });
    const refused = await failure(bucket.file(declared).save(data, { resumable: false, metadata: { md5Hash: md5(data) } }));
    expect(refused).toMatchObject({ status: 400, reason: 'invalid' });
    expect(refused.message).toMatch(new RegExp(`^Provided MD5 hash "${md5(data).replace(/[+/]/g, '\\$&')}" doesn't match calculated MD5 hash`));
    expect(await gcsAdmin.objectInfo(target.bucket, declared)).toBeUndefined();

    const undeclared = `${prefix}/flip-undeclared`;
    await gcsAdmin.addFault({ match: { object: undeclared, method: 'POST' }, action: { type: 'flip', atByte: 1000 } });
    const caught = await failure(bucket.file(undeclared).save(data, { resumable: false, validation: 'crc32c' }));
    expect(caught.code).toBe('FILE_NO_UPLOAD');
    // The SDK deleted what the server stored (corrupted bytes).
    expect(await gcsAdmin.objectInfo(target.bucket, undeclared)).toBeUndefined();
  });

  it('lets the SDK resume a resumable upload whose chunk was cut mid-way, from what the server kept', async (ctx) => {
    emulatorOnly(ctx);
    const bucket = storageAs(target.full).bucket(target.bucket);
    const name = `${prefix}/cut-resumable`;
    const data = randomBytes(MiB);
    await gcsAdmin.addFault({ match: { object: name, method: 'PUT', contentRange: '^bytes 262144-' }, action: { type: 'cut', afterBytes: 100_000 } });
    const since = await gcsAdmin.lastRequest();
    await resumableSave(bucket.file(name), data, { chunkSize: 256 * KiB });
    expect((await gcsAdmin.readObject(target.bucket, name))!.equals(data)).toBe(true);
    const puts = (await gcsAdmin.requests({ since, object: name })).filter((r) => r.method === 'PUT');
    const cutAt = puts.findIndex((r) => r.cut);
    expect(puts[cutAt]).toMatchObject({ contentRange: 'bytes 262144-524287/*', status: 0, faults: ['cut'] });
    // Then a status query (308, Range bytes=0-362143), and the rest from byte 362144.
    expect(puts[cutAt + 1]).toMatchObject({ contentRange: 'bytes */*', status: 308, range: 'bytes=0-362143' });
    expect(puts[cutAt + 2]!.contentRange).toMatch(/^bytes 362144-/);
    expect(puts.at(-1)).toMatchObject({ status: 200 });
  });

  it('has its 503s and 429s retried by the SDK, and shows the SDK default that turns retrying off', async (ctx) => {
    emulatorOnly(ctx);
    const bucket = storageAs(target.full).bucket(target.bucket);
    const name = `${prefix}/retried`;
    await bucket.file(name).save('x', { resumable: false });
    const since = await gcsAdmin.lastRequest();
    await gcsAdmin.addFault({ match: { object: name, method: 'GET' }, times: 2, action: { type: 'status', status: 503 } });
    expect((await bucket.file(name).getMetadata())[0].name).toBe(name);
    await gcsAdmin.addFault({ match: { object: name, uploadType: 'resumable', method: 'POST' }, action: { type: 'status', status: 429 } });
    await resumableSave(bucket.file(name), 'y');
    await gcsAdmin.addFault({ match: { object: name, uploadType: 'multipart' }, action: { type: 'status', status: 503 } });
    await bucket.file(name).save('z', { resumable: false });
    const statuses = (await gcsAdmin.requests({ since, object: name }))
      .filter((r) => r.method !== 'PUT')
      .map((r) => `${r.method} ${r.uploadType ?? ''} ${r.status}`);
    expect(statuses).toEqual(['GET  503', 'GET  503', 'GET  200', 'POST resumable 429', 'POST resumable 200', 'POST multipart 503', 'POST multipart 200']);

    // The SDK's default strategy (RetryConditional): one save() without ifGenerationMatch switches
    // retrying off for the whole Storage, so a later 503 reaches the caller (test/gcs.ts, note 4).
    const quick = gcsStorageOptions(target.endpoint, target.full).retryOptions!;
    const conditional = gcsStorage(target.endpoint, target.full, { retryOptions: { ...quick, idempotencyStrategy: IdempotencyStrategy.RetryConditional } });
    await conditional.bucket(target.bucket).file(name).save('w', { resumable: false });
    await gcsAdmin.addFault({ match: { object: name, method: 'GET' }, action: { type: 'status', status: 503 } });
    expect(await failure(conditional.bucket(target.bucket).file(name).getMetadata())).toMatchObject({
      status: 503,
      message: 'We encountered an internal error. Please try again.',
      reason: 'backendError',
    });
  });

  it('hands the SDK the recorded hashes on download, so bit rot on disk is caught', async (ctx) => {
    emulatorOnly(ctx);
    const file = storageAs(target.full).bucket(target.bucket).file(`${prefix}/bitrot`);
    await file.save(randomBytes(10 * KiB), { resumable: false });
    const info = await gcsAdmin.flipStoredByte(target.bucket, file.name, 5000);
    expect(info.actual.md5).not.toBe(info.recorded.md5);
    expect((await failure(file.download())).code).toBe('CONTENT_DOWNLOAD_MISMATCH');
  });

  it('streams a 200 MB resumable upload to disk (server RSS grows far less than the object)', async (ctx) => {
    emulatorOnly(ctx);
    const file = storageAs(target.full).bucket(target.bucket).file(`${prefix}/large.bin`);
    const size = 200 * MiB;
    const block = randomBytes(MiB);
    const hash = createHash('md5');
    async function* source() {
      for (let i = 0; i < size / MiB; i++) {
        block.writeUInt32BE(i, 0); // every block differs
        hash.update(block);
        yield Buffer.from(block);
      }
    }
    const [uri] = await file.createResumableUpload();
    const before = await gcsAdmin.resetStats();
    await pipeline(Readable.from(source()), file.createWriteStream({ resumable: true, uri, validation: false }));
    const after = await gcsAdmin.stats(before.mark);
    const info = (await gcsAdmin.objectInfo(target.bucket, file.name))!;
    expect(info.size).toBe(size);
    expect(info.actual.md5).toBe(hash.digest('base64'));
    expect(after.peakRss - before.rss).toBeLessThan(100 * MiB);
    await file.delete();
  }, 60_000);
});

describe('the GCS test server: public and signed reads', () => {
  it('serves the SDK’s V4 signed URL, and refuses it tampered (403), expired (400) or signed without read access (403)', async (ctx) => {
    const bucket = storageAs(target.full).bucket(target.bucket);
    const name = `${prefix}/signed/photo 1.jpg`;
    const data = randomBytes(4 * KiB);
    await bucket.file(name).save(data, { resumable: false, contentType: 'image/jpeg' });
    const [url] = await bucket.file(name).getSignedUrl({ version: 'v4', action: 'read', expires: Date.now() + 60_000, promptSaveAs: 'photo.jpg' });
    expect(url.startsWith(`${target.endpoint}/${target.bucket}/`)).toBe(true);
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/jpeg');
    expect(ok.headers.get('content-disposition')).toBe('attachment; filename="photo.jpg"');
    expect(Buffer.from(await ok.arrayBuffer()).equals(data)).toBe(true);

    const signature = new URL(url).searchParams.get('X-Goog-Signature')!;
    const flipped = signature.slice(0, 10) + (signature[10] === 'a' ? 'b' : 'a') + signature.slice(11);
    const tampered = await fetch(url.replace(signature, flipped));
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    const otherObject = await fetch(url.replace('photo%201.jpg', 'photo%202.jpg'));
    expect(otherObject.status).toBe(403);
    // The method is signed: a URL signed for GET does not allow HEAD.
    expect((await fetch(url, { method: 'HEAD' })).status).toBe(403);

    const [short] = await bucket.file(name).getSignedUrl({ version: 'v4', action: 'read', expires: Date.now() + 1000 });
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const expired = await fetch(short);
    expect(expired.status).toBe(400);
    expect(await expired.text()).toContain('<Code>ExpiredToken</Code>');

    emulatorOnly(ctx);
    const [byWriter] = await storageAs(target.writer!)
      .bucket(target.bucket)
      .file(name)
      .getSignedUrl({ version: 'v4', action: 'read', expires: Date.now() + 60_000 });
    const denied = await fetch(byWriter);
    expect(denied.status).toBe(403);
    const deniedXml = await denied.text();
    expect(deniedXml).toContain('<Code>AccessDenied</Code>');
    expect(deniedXml).toContain(deniedText(target.writer!.client_email, 'storage.objects.get'));
  });

  it('serves the public bucket to anyone (GET and HEAD, with its headers) and refuses the private one (403 XML)', async (ctx) => {
    skipBecause(ctx, !target.publicBucket && 'no public bucket: set GCS_TEST_PUBLIC_BUCKET');
    const storage = storageAs(target.full);
    const name = `${prefix}/public/pic #1.png`;
    const file = storage.bucket(target.publicBucket!).file(name);
    await file.save(Buffer.from('png bytes'), {
      resumable: false,
      contentType: 'image/png',
      metadata: { cacheControl: 'public, max-age=31536000, immutable' },
    });
    const url = file.publicUrl();
    expect(url).toBe(`${target.endpoint}/${target.publicBucket}/${encodeURIComponent(name)}`);
    const got = await fetch(url);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(got.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await got.text()).toBe('png bytes');
    const head = await fetch(url, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), await head.text()]).toEqual([200, '9', '']);
    expect((await fetch(`${target.endpoint}/${target.publicBucket}/${encodeURIComponent(`${prefix}/public/missing`)}`)).status).toBe(404);

    const privateName = `${prefix}/private.png`;
    await storage.bucket(target.bucket).file(privateName).save('secret', { resumable: false });
    const refused = await fetch(`${target.endpoint}/${target.bucket}/${encodeURIComponent(privateName)}`);
    expect(refused.status).toBe(403);
    const xml = await refused.text();
    expect(xml).toContain('<Code>AccessDenied</Code>');
    expect(xml).toContain('Anonymous caller does not have storage.objects.get access to the Google Cloud Storage object.');
  });
});

describe('the GCS test server: CRC32C', () => {
  it('computes the Castagnoli CRC as GCS and the SDK do', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    const data = randomBytes(100_003);
    expect(crc32cBase64(crc32c(data))).toBe(sdkCrc32c(data));
    expect(crc32cBase64(crc32c(data.subarray(5000), crc32c(data.subarray(0, 5000))))).toBe(sdkCrc32c(data));
  });
});
