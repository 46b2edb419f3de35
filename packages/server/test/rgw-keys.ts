import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { S3TestKey } from './s3.js';

const run = promisify(execFile);

/** An access key made for one test, which it can revoke (a key rotation), as the bucket's owner would. */
export interface RevocableKey extends S3TestKey {
  revoke(): Promise<void>;
}

/**
 * Where the suite runs the project's Ceph RGW (CEPH_CONF, exported by scripts/s3-test-server),
 * makes a new key pair with full access to the test user's buckets; null elsewhere.
 */
export async function newRgwKey(): Promise<RevocableKey | null> {
  const conf = process.env.CEPH_CONF;
  if (!conf) return null;
  const subuser = `full:rotate-${randomBytes(4).toString('hex')}`;
  const { stdout } = await run('radosgw-admin', [
    '-c',
    conf,
    'subuser',
    'create',
    '--uid=full',
    `--subuser=${subuser}`,
    '--access=full',
    '--key-type=s3',
    '--gen-access-key',
    '--gen-secret',
  ]);
  const key = (JSON.parse(stdout) as { keys: { user: string; access_key: string; secret_key: string }[] }).keys.find((k) => k.user === subuser)!;
  return {
    accessKeyId: key.access_key,
    secretAccessKey: key.secret_key,
    revoke: async () => {
      await run('radosgw-admin', ['-c', conf, 'subuser', 'rm', '--uid=full', `--subuser=${subuser}`, '--purge-keys']);
    },
  };
}
