/** The buckets global-setup.ts creates on the suite's GCS test server (both with uniform bucket-level access). */
export const TEST_BUCKETS = {
  /** Private: nothing without credentials. */
  private: 'offload-gcs-test',
  /** allUsers hold roles/storage.objectViewer: anonymous reads and lists. */
  public: 'offload-gcs-public',
} as const;
