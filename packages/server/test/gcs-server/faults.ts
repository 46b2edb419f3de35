// Fault injection and the request log: what a test needs to make GCS misbehave on cue (a 503, a
// connection cut mid-chunk, a byte flipped in flight) and to see afterwards what the client did
// about it (which requests, which upload type, which statuses).

/** Which requests a fault applies to; every given field must match. */
export interface FaultMatch {
  method?: string;
  /** A regular expression tested against the request's path and query, as sent. */
  url?: string;
  bucket?: string;
  /** The object's name; chunks of a resumable upload match their session's object. */
  object?: string;
  uploadType?: string;
  /** A regular expression tested against the Content-Range header (e.g. '^bytes \\*\\/' for status queries). */
  contentRange?: string;
}

export type FaultAction =
  /** Answer with this status (503, 429, 500…) and GCS's error body instead of handling the request. */
  | { type: 'status'; status: number }
  /** Close the connection (socket destroyed) once this many body bytes have been received; what arrived is kept. */
  | { type: 'cut'; afterBytes: number }
  /** Flip (XOR 0xff) the object-content byte at this offset of the request, as a bad NIC or proxy would. */
  | { type: 'flip'; atByte?: number }
  /** Flip the byte at this offset of the object's bytes on their way out (a download): the way back alters data. */
  | { type: 'flipResponse'; atByte?: number }
  /** Hold the request this long before handling it. */
  | { type: 'delay'; ms: number };

export interface FaultSpec {
  match?: FaultMatch;
  /** How many matching requests it applies to (default 1). */
  times?: number;
  /** Let this many matching requests through first (e.g. cut the second chunk, not the first). */
  skip?: number;
  action: FaultAction;
  /** Who added it (test/gcs.ts: the test process), so that clearing one's faults spares those of files running alongside. */
  owner?: string;
}

export interface Fault extends FaultSpec {
  id: number;
  /** Requests it was applied to. */
  hits: number;
  /** Matching requests seen (applied or skipped). */
  seen: number;
}

/** What the router knows about a request before handling it. */
export interface RequestFacts {
  method: string;
  url: string;
  bucket?: string;
  object?: string;
  uploadType?: string;
  contentRange?: string;
}

export interface RequestLogEntry extends RequestFacts {
  seq: number;
  time: string;
  status: number;
  /** True when the connection was cut (by a fault or by the client) before a response was sent. */
  cut: boolean;
  bytesIn: number;
  /** The Range header of the response (a 308's "bytes=0-N": what the server has persisted). */
  range?: string;
  caller?: string;
  /** Types of the faults applied. */
  faults: string[];
}

export class Faults {
  private readonly faults: Fault[] = [];
  private nextId = 1;

  add(spec: FaultSpec): Fault {
    validate(spec);
    const fault: Fault = { ...spec, times: spec.times ?? 1, skip: spec.skip ?? 0, id: this.nextId++, hits: 0, seen: 0 };
    this.faults.push(fault);
    return fault;
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  remove(id: number): boolean {
    const index = this.faults.findIndex((f) => f.id === id);
    if (index >= 0) this.faults.splice(index, 1);
    return index >= 0;
  }

  /** Removes the faults of `owner`, or all of them. */
  clear(owner?: string): void {
    const kept = owner === undefined ? [] : this.faults.filter((f) => f.owner !== owner);
    this.faults.splice(0, this.faults.length, ...kept);
  }

  /** The faults to apply to this request (at most one of each type), counting them as used. */
  take(facts: RequestFacts): FaultAction[] {
    const applied = new Map<string, FaultAction>();
    for (const fault of this.faults) {
      if (applied.has(fault.action.type) || fault.hits >= fault.times! || !matches(fault.match ?? {}, facts)) continue;
      fault.seen++;
      if (fault.seen <= fault.skip!) continue;
      fault.hits++;
      applied.set(fault.action.type, fault.action);
    }
    return [...applied.values()];
  }
}

function matches(match: FaultMatch, facts: RequestFacts): boolean {
  if (match.method && match.method.toUpperCase() !== facts.method) return false;
  if (match.url && !new RegExp(match.url).test(facts.url)) return false;
  if (match.bucket && match.bucket !== facts.bucket) return false;
  if (match.object !== undefined && match.object !== facts.object) return false;
  if (match.uploadType && match.uploadType !== facts.uploadType) return false;
  if (match.contentRange && !new RegExp(match.contentRange).test(facts.contentRange ?? '')) return false;
  return true;
}

function validate(spec: FaultSpec): void {
  const action = spec?.action;
  if (!action || typeof action !== 'object') throw new Error('fault needs an action');
  if (action.type === 'status' && !(Number.isInteger(action.status) && action.status >= 400 && action.status < 600))
    throw new Error('status must be 4xx or 5xx');
  if (action.type === 'cut' && !(Number.isInteger(action.afterBytes) && action.afterBytes >= 0)) throw new Error('cut needs afterBytes ≥ 0');
  if ((action.type === 'flip' || action.type === 'flipResponse') && action.atByte !== undefined && !(Number.isInteger(action.atByte) && action.atByte >= 0))
    throw new Error('flip atByte must be ≥ 0');
  if (action.type === 'delay' && !(Number.isFinite(action.ms) && action.ms >= 0)) throw new Error('delay needs ms ≥ 0');
  if (!['status', 'cut', 'flip', 'flipResponse', 'delay'].includes(action.type))
    throw new Error(`unknown fault type ${String((action as { type: unknown }).type)}`);
  for (const pattern of [spec.match?.url, spec.match?.contentRange]) if (pattern) new RegExp(pattern);
}

/** The last requests, oldest first, bounded so a long run does not grow without end. */
export class RequestLog {
  private readonly entries: RequestLogEntry[] = [];
  private seq = 0;

  constructor(private readonly limit = 20_000) {}

  add(entry: Omit<RequestLogEntry, 'seq' | 'time'>): RequestLogEntry {
    const full = { ...entry, seq: ++this.seq, time: new Date().toISOString() };
    this.entries.push(full);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
    return full;
  }

  get last(): number {
    return this.seq;
  }

  query(filter: { since?: number; bucket?: string; object?: string }): RequestLogEntry[] {
    return this.entries.filter(
      (e) =>
        e.seq > (filter.since ?? 0) &&
        (filter.bucket === undefined || e.bucket === filter.bucket) &&
        (filter.object === undefined || e.object === filter.object),
    );
  }
}

/** Yields `source` until `limit` bytes have passed, then calls `onCut` (which drops the connection) and stops. */
export async function* cutAfter(source: AsyncIterable<Buffer>, limit: number, onCut: () => void): AsyncGenerator<Buffer> {
  let passed = 0;
  for await (const chunk of source) {
    const room = limit - passed;
    if (chunk.length >= room) {
      if (room > 0) yield chunk.subarray(0, room);
      onCut();
      return;
    }
    passed += chunk.length;
    yield chunk;
  }
}

/** Yields `source` with the byte at `offset` inverted. */
export async function* flipAt(source: AsyncIterable<Buffer>, offset: number): AsyncGenerator<Buffer> {
  let position = 0;
  for await (const chunk of source) {
    if (offset >= position && offset < position + chunk.length) {
      const copy = Buffer.from(chunk);
      copy[offset - position] = copy[offset - position]! ^ 0xff;
      yield copy;
    } else {
      yield chunk;
    }
    position += chunk.length;
  }
}
