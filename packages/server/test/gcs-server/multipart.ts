// A streaming reader for the multipart/related body of a JSON API "multipart" upload:
//   --B\r\nContent-Type: application/json\r\n\r\n{metadata}\r\n--B\r\nContent-Type: …\r\n\r\n<media>\r\n--B--
// The metadata part is small and read whole; the media part is yielded as it arrives, never buffered.
import { invalid } from './errors.js';

const CRLF = Buffer.from('\r\n');
const MAX_HEADER_BYTES = 64 * 1024;
const MAX_METADATA_BYTES = 1024 * 1024;

const malformed = () => invalid('Invalid multipart request: the body is not a well-formed multipart/related message with metadata and media parts.');

class Reader {
  private pending: Buffer = Buffer.alloc(0);
  private done = false;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    const next = await this.source.next();
    if (next.done) {
      this.done = true;
      return false;
    }
    this.pending = this.pending.length ? Buffer.concat([this.pending, next.value]) : next.value;
    return true;
  }

  /** Everything up to `delimiter` (consumed, not returned); fails past `max` bytes or at the end of the body. */
  async readUntil(delimiter: Buffer, max: number): Promise<Buffer> {
    for (;;) {
      const at = this.pending.indexOf(delimiter);
      if (at >= 0) {
        const before = this.pending.subarray(0, at);
        this.pending = this.pending.subarray(at + delimiter.length);
        return before;
      }
      if (this.pending.length > max || !(await this.fill())) throw malformed();
    }
  }

  /** Yields everything up to `delimiter`, holding back only what could be the delimiter's start. */
  async *streamUntil(delimiter: Buffer): AsyncGenerator<Buffer> {
    for (;;) {
      const at = this.pending.indexOf(delimiter);
      if (at >= 0) {
        if (at > 0) yield this.pending.subarray(0, at);
        this.pending = this.pending.subarray(at + delimiter.length);
        return;
      }
      const safe = this.pending.length - (delimiter.length - 1);
      if (safe > 0) {
        yield this.pending.subarray(0, safe);
        this.pending = this.pending.subarray(safe);
      }
      if (!(await this.fill())) throw malformed();
    }
  }

  /** Reads (and drops) whatever follows, up to the end of the body. */
  async rest(): Promise<void> {
    while (await this.fill()) this.pending = Buffer.alloc(0);
  }

  /** Header lines up to the blank line, as lower-cased name → value. */
  async readHeaders(): Promise<Record<string, string>> {
    const headers: Record<string, string> = {};
    for (let total = 0; ;) {
      const line = (await this.readUntil(CRLF, MAX_HEADER_BYTES)).toString('utf8');
      total += line.length;
      if (line === '') return headers;
      if (total > MAX_HEADER_BYTES) throw malformed();
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
  }
}

export interface MultipartParts {
  metadata?: Record<string, unknown>;
  mediaContentType?: string;
}

export function boundaryOf(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/related\b/i.test(contentType)) return undefined;
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match ? (match[1] ?? match[2]) : undefined;
}

/** Yields the media part's bytes; `parts` receives the metadata and media Content-Type before the first byte. */
export async function* multipartMedia(source: AsyncIterable<Buffer>, boundary: string, parts: MultipartParts): AsyncGenerator<Buffer> {
  const reader = new Reader(source[Symbol.asyncIterator]());
  const dashBoundary = Buffer.from(`--${boundary}`);
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  await reader.readUntil(dashBoundary, MAX_HEADER_BYTES); // preamble, normally empty
  await reader.readUntil(CRLF, MAX_HEADER_BYTES);
  await reader.readHeaders();
  const json = await reader.readUntil(delimiter, MAX_METADATA_BYTES);
  try {
    const metadata = JSON.parse(json.toString('utf8')) as unknown;
    if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) throw malformed();
    parts.metadata = metadata as Record<string, unknown>;
  } catch {
    throw invalid('Parse Error', 'parseError');
  }
  const after = await reader.readUntil(CRLF, MAX_HEADER_BYTES);
  if (after.toString('utf8').startsWith('--')) throw malformed(); // closing delimiter: no media part
  parts.mediaContentType = (await reader.readHeaders())['content-type'];
  yield* reader.streamUntil(delimiter);
  await reader.rest(); // the closing "--" and any epilogue
}
