/** The studio that generated a result. */
export const STUDIOS = ['IMAGE', 'VIDEO'] as const;
export type Studio = (typeof STUDIOS)[number];

/** Where a creative is in its offload: LOCAL → QUEUED → UPLOADING → OFFLOADED, or FAILED after the last attempt. */
export const OFFLOAD_STATUSES = ['LOCAL', 'QUEUED', 'UPLOADING', 'OFFLOADED', 'FAILED'] as const;
export type OffloadStatus = (typeof OFFLOAD_STATUSES)[number];

/** What a bulk job did to each result it finished: "150 moved", as the admin and the command line both say it. */
export const BULK_DONE_WORDS = { MOVE: 'moved', REMOVE_LOCAL: 'removed', VERIFY: 'verified', SCAN: 'registered' } as const;
