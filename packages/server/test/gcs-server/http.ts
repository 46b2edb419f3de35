// One request as the handlers see it: decoded path segments, the query, the caller's fault
// actions, and the body as a stream with the injected faults applied.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GcsError, invalid } from './errors.js';
import { cutAfter, flipAt, type FaultAction, type RequestFacts } from './faults.js';

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** The path and query exactly as sent. */
  url: string;
  rawPath: string;
  /** Path segments, each percent-decoded on its own (so an encoded "/" stays inside its segment). */
  segments: string[];
  query: URLSearchParams;
  /** This server as the client reached it (scheme and Host), for Location headers and links. */
  baseUrl: string;
  facts: RequestFacts;
  actions: FaultAction[];
  /** Set when the connection was cut (a fault): no response is sent. */
  cut: boolean;
  bytesIn: number;
  caller?: string;
}

export function parseTarget(url: string): { rawPath: string; segments: string[]; query: URLSearchParams } {
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  let segments: string[];
  try {
    segments = rawPath.split('/').slice(1).map(decodeURIComponent);
  } catch {
    throw invalid('Invalid URL: malformed percent-encoding in the path.');
  }
  return { rawPath, segments, query };
}

/** The request body, counted, with a "cut" fault applied (the connection is destroyed at that byte). */
export function rawBody(ctx: Ctx): AsyncIterable<Buffer> {
  // destroyOnReturn: false — a handler that stops reading early (a parse error) must still be able
  // to answer; drain() then reads the rest. Only a "cut" fault drops the connection.
  const counted = count(ctx.req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>, ctx);
  const cut = ctx.actions.find((a) => a.type === 'cut');
  if (!cut) return counted;
  return cutAfter(counted, cut.afterBytes, () => {
    ctx.cut = true;
    ctx.req.socket.destroy();
  });
}

/** Object content on its way to disk, with a "flip" fault applied. */
export function content(ctx: Ctx, source: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  const flip = ctx.actions.find((a) => a.type === 'flip');
  return flip ? flipAt(source, flip.atByte ?? 0) : source;
}

async function* count(source: AsyncIterable<Buffer>, ctx: Ctx): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    ctx.bytesIn += chunk.length;
    yield chunk;
  }
}

/** A small body (JSON metadata, a token request) read whole; larger ones are refused. */
export async function readSmallBody(ctx: Ctx, limit = 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of rawBody(ctx)) {
    size += chunk.length;
    if (size > limit) throw invalid('Request body too large.');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function readJsonBody(ctx: Ctx): Promise<Record<string, unknown>> {
  const body = await readSmallBody(ctx);
  if (body.length === 0) return {};
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw invalid('Parse Error', 'parseError');
}

/**
 * Reads and discards what is left of the body: so that an early error reaches a client that is
 * still sending, and so that a keep-alive connection can carry the next request (Node does not
 * skip the unread rest of a body once it has been read from).
 */
export async function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded || req.destroyed) return;
  await new Promise<void>((resolve) => {
    req
      .on('end', resolve)
      .on('close', resolve)
      .on('error', () => resolve());
    // A 'data' listener, not just resume(): after an async iterator let go of the stream, resume()
    // alone can leave it paused (its 'readable' listener is removed on the next tick).
    req.on('data', () => {});
    req.resume();
  });
}

// Headers go through setHeader (not writeHead's argument) so that the request log can read them back.
export function sendJson(ctx: Ctx, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  for (const [name, value] of Object.entries({
    'Content-Type': 'application/json; charset=UTF-8',
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  }))
    ctx.res.setHeader(name, value);
  ctx.res.writeHead(status);
  ctx.res.end(text);
}

export function sendEmpty(ctx: Ctx, status: number, headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries({ 'Content-Length': '0', ...headers })) ctx.res.setHeader(name, value);
  ctx.res.writeHead(status);
  ctx.res.end();
}

export function sendError(ctx: Ctx, error: GcsError, xml: boolean): void {
  const body = xml ? error.xmlBody() : error.jsonBody();
  ctx.res.writeHead(error.status, {
    'Content-Type': xml ? 'application/xml; charset=UTF-8' : 'application/json; charset=UTF-8',
    'Content-Length': Buffer.byteLength(body),
    ...(error.options.headers ?? {}),
  });
  ctx.res.end(ctx.method === 'HEAD' ? undefined : body);
}

/** A byte range from a Range header, clamped to the object; undefined for a whole-object read. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return size === 0 ? undefined : 'unsatisfiable';
  return { start, end };
}
