/**
 * Upload buffers, reused: reading a part straight into a buffer that already exists costs one
 * copy from the page cache and no garbage, where allocating one per part cost more CPU than the
 * upload itself (page faults, concatenation, collection). Bounded: at most `maxIdle` buffers of
 * a size are kept between uploads; the rest go to the garbage collector.
 */
export class BufferPool {
  private readonly idle: Buffer[] = [];

  constructor(
    readonly size: number,
    private readonly maxIdle: number,
  ) {}

  take(): Buffer {
    return this.idle.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  give(buffer: Buffer): void {
    if (this.idle.length < this.maxIdle) this.idle.push(buffer);
  }
}

/** Pools by buffer size, shared by the drivers that hold this (one per process, owned by ProviderDrivers). */
export class BufferPools {
  private readonly pools = new Map<number, BufferPool>();

  of(size: number): BufferPool {
    let pool = this.pools.get(size);
    if (!pool) this.pools.set(size, (pool = new BufferPool(size, 8)));
    return pool;
  }
}
