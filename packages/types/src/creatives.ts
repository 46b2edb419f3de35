/** The studio that generated a result. */
export const STUDIOS = ['IMAGE', 'VIDEO'] as const;
export type Studio = (typeof STUDIOS)[number];

/** Where a creative is in its offload: LOCAL → QUEUED → UPLOADING → OFFLOADED, or FAILED after the last attempt. */
export const OFFLOAD_STATUSES = ['LOCAL', 'QUEUED', 'UPLOADING', 'OFFLOADED', 'FAILED'] as const;
export type OffloadStatus = (typeof OFFLOAD_STATUSES)[number];
