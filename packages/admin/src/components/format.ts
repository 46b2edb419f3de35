/** 3.1 GB, 12.4 MB, 64 kB: sizes as people read them (decimal units, like the buckets' consoles). */
export const formatBytes = (bytes: number) =>
  bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.ceil(bytes / 1e3)} kB`;
