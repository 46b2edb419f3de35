import type { TestContext } from 'vitest';

declare module 'vitest' {
  interface TaskMeta {
    /** Why the test was skipped; the test command's closing summary lists it. */
    skipReason?: string;
  }
}

/**
 * Skips the running test when `reason` is given (a missing optional key, a server that cannot
 * do what the test needs), recording why: `pnpm test` prints every skip with its reason. Call it
 * first in the test, or in a `beforeEach` for a whole block.
 */
export function skipBecause(ctx: TestContext, reason: string | false | null | undefined): void {
  if (!reason) return;
  ctx.task.meta.skipReason = reason;
  ctx.skip(true, reason);
}

export const NO_WRITER_KEY = 'no write-only key: set S3_TEST_WRITER_ACCESS_KEY_ID and S3_TEST_WRITER_SECRET_ACCESS_KEY';
export const NO_READER_KEY = 'no read-only key: set S3_TEST_READER_ACCESS_KEY_ID and S3_TEST_READER_SECRET_ACCESS_KEY';
export const NO_PUBLIC_BUCKET = 'the S3 test server refused a public-read bucket policy, so nothing can be fetched anonymously';
