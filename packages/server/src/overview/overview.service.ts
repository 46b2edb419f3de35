import { statfs } from 'node:fs/promises';
import type { Config } from '../config/config.js';
import type { Creative } from '../creatives/creative.entity.js';
import type { CreativeRepository, QueueCounts } from '../creatives/creative.repository.js';
import { InvalidInputError } from '../domain/errors.js';

export interface DiskSpace {
  path: string;
  freeBytes: number;
  totalBytes: number;
}

export interface HourOfOffloads {
  /** The hour's start. */
  hour: Date;
  results: number;
  bytes: number;
}

/** The longest throughput window the overview answers (the hourly rollup keeps a day more). */
export const MAX_THROUGHPUT_HOURS = 24 * 7;
const HOUR_MS = 3_600_000;

/**
 * "Is everything healthy?", answered from running totals and small indexes so it costs the same
 * at 10 million results: the results disk's free space, the offload queue and its latest
 * failures, and the offloads of the last hours. (Where results live is the storage locations'.)
 */
export class OverviewService {
  constructor(
    private readonly repository: CreativeRepository,
    private readonly config: Pick<Config, 'resultsDir'>,
  ) {}

  async localDisk(): Promise<DiskSpace> {
    const s = await statfs(this.config.resultsDir);
    return { path: this.config.resultsDir, freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
  }

  queue(): Promise<QueueCounts> {
    return this.repository.queueCounts();
  }

  latestFailures(limit: number): Promise<Creative[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 50) throw new InvalidInputError('limit must be between 1 and 50', 'limit');
    return this.repository.latestFailures(limit);
  }

  /** One entry per hour of the last `hours`, oldest first, the current (partial) hour last; quiet hours count 0. */
  async throughput(hours: number, now = new Date()): Promise<HourOfOffloads[]> {
    if (!Number.isInteger(hours) || hours < 1 || hours > MAX_THROUGHPUT_HOURS)
      throw new InvalidInputError(`hours must be between 1 and ${MAX_THROUGHPUT_HOURS}`, 'hours');
    const current = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
    const first = current - (hours - 1) * HOUR_MS;
    const found = new Map((await this.repository.offloadsPerHour(new Date(first))).map((h) => [h.hour.getTime(), h]));
    return Array.from({ length: hours }, (_, i) => {
      const hour = first + i * HOUR_MS;
      return found.get(hour) ?? { hour: new Date(hour), results: 0, bytes: 0 };
    });
  }
}
