import { CreateBucketCommand, DeleteObjectCommand, ListObjectsV2Command, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';

export interface S3TestKey {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface S3TestTarget {
  endpoint: string;
  region: string;
  bucket: string;
  full: S3TestKey;
  /** PUT allowed, GET/HEAD/LIST denied; absent when the target has no such key. */
  writer?: S3TestKey;
  /** GET allowed, PUT denied; absent when the target has no such key. */
  reader?: S3TestKey;
}

const key = (prefix: string): S3TestKey | undefined => {
  const accessKeyId = process.env[`${prefix}ACCESS_KEY_ID`];
  const secretAccessKey = process.env[`${prefix}SECRET_ACCESS_KEY`];
  return accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined;
};

/**
 * The S3-compatible server the suite runs against: `pnpm test` starts the project's Ceph RGW
 * and exports S3_TEST_*; point those at MinIO or a real bucket to run the suite there.
 */
export function s3TestTarget(): S3TestTarget {
  const { S3_TEST_ENDPOINT: endpoint, S3_TEST_BUCKET: bucket } = process.env;
  const full = key('S3_TEST_');
  if (!endpoint || !bucket || !full) {
    throw new Error(
      'No S3 test server: run the suite with `pnpm test` (it starts one) or set S3_TEST_ENDPOINT, S3_TEST_BUCKET, S3_TEST_ACCESS_KEY_ID and ' +
        'S3_TEST_SECRET_ACCESS_KEY.',
    );
  }
  return {
    endpoint,
    bucket,
    region: process.env.S3_TEST_REGION ?? 'us-east-1',
    full,
    writer: key('S3_TEST_WRITER_'),
    reader: key('S3_TEST_READER_'),
  };
}

/** Every S3 test secret in the environment, for leak checks. */
export const knownS3Secrets = () =>
  ['S3_TEST_SECRET_ACCESS_KEY', 'S3_TEST_WRITER_SECRET_ACCESS_KEY', 'S3_TEST_READER_SECRET_ACCESS_KEY']
    .map((k) => process.env[k])
    .filter((v): v is string => Boolean(v));

/** A plain SDK client, independent of the product's driver, for checking what is in the bucket. */
export function independentS3Client(target: S3TestTarget, credentials: S3TestKey = target.full): S3Client {
  return new S3Client({
    endpoint: target.endpoint,
    region: target.region,
    credentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Objects under this prefix are anonymously readable, as behind a public r2.dev domain. */
export const PUBLIC_PREFIX = 'public-read';

/**
 * Lets anyone GET objects under PUBLIC_PREFIX (a bucket policy) and returns the bucket's
 * public base URL, or null where the target does not allow bucket policies.
 */
export async function publicBucketUrl(target: S3TestTarget): Promise<string | null> {
  const policy = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: '*', Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::${target.bucket}/${PUBLIC_PREFIX}/*`] }],
  };
  return independentS3Client(target)
    .send(new PutBucketPolicyCommand({ Bucket: target.bucket, Policy: JSON.stringify(policy) }))
    .then(
      () => `${target.endpoint}/${target.bucket}`,
      () => null,
    );
}

/** Removes everything a test uploaded under `prefix`, so repeated runs do not fill the bucket. */
export async function deletePrefix(target: S3TestTarget, prefix: string): Promise<void> {
  const s3 = independentS3Client(target);
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: target.bucket, Prefix: `${prefix}/`, ContinuationToken: token }));
    for (const object of page.Contents ?? []) await s3.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: object.Key! }));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/**
 * A second bucket on the same server and account (S3_TEST_SECOND_BUCKET, or `<bucket>-b`),
 * created when missing: where results go after the admin changes the bucket.
 */
export async function secondBucket(target: S3TestTarget): Promise<S3TestTarget> {
  const bucket = process.env.S3_TEST_SECOND_BUCKET ?? `${target.bucket}-b`;
  await independentS3Client(target)
    .send(new CreateBucketCommand({ Bucket: bucket }))
    .catch((error: Error) => {
      if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
    });
  return { ...target, bucket };
}
