/** 3.1 GB, 12.4 MB, 64 kB: sizes as people read them (decimal units, like the buckets' consoles). */
export const formatBytes = (bytes: number) =>
  bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.ceil(bytes / 1e3)} kB`;

/** 45 s, 12 min, 3 h 20 min, 2 d 4 h: how long something will take, to the precision anyone plans with. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** Before a count from a sample rather than exact: "About 1,200,000 results". */
export const about = (estimated: boolean) => (estimated ? 'About ' : '');

/** 1 result, 1,204 results. */
export const formatResults = (count: number) => `${count.toLocaleString()} ${count === 1 ? 'result' : 'results'}`;
