import net from 'node:net';

/** What a fault does to the one HTTP request (and its response) it matches. */
export type FaultAction =
  /** XOR one byte of the request body at this offset: a bit flipped in transit. */
  | { flip: number }
  /** After this many request-body bytes, reset both connections: a cut line. */
  | { cut: number }
  /** Forward only this many request-body bytes, then close the connection to the store: a short body. */
  | { truncate: number }
  /** After this many request-body bytes, forward nothing for `ms`: a stalled network. */
  | { stall: number; ms: number }
  /** Answer for the store with this raw HTTP response, forwarding nothing. */
  | { respond: string }
  /** XOR one byte of the response body at this offset: the store (or the way back) returns other bytes. */
  | { flipResponse: number };

export interface Fault {
  /** Matched against the request line, e.g. /^PUT .*partNumber=2&/. */
  request: RegExp;
  action: FaultAction;
  /** How many matching requests it hits (default 1). */
  times?: number;
  /** How many requests it has hit so far. */
  hits: number;
}

interface Pending {
  method: string;
  flipResponse?: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * A real TCP hop in front of the S3 server that a test can take down and bring back, to cause an
 * outage without touching the server other tests share; and that reads the HTTP going through
 * it, so a test can damage one chosen request on the wire (see `FaultAction`).
 */
export class TcpProxy {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly faults: Fault[] = [];
  /** The request line of every request that went through, in order. */
  readonly requests: string[] = [];
  port = 0;

  constructor(private readonly target: URL) {}

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Damages the next `times` requests that match; returns the fault, whose `hits` counts them. */
  inject(request: RegExp, action: FaultAction, times = 1): Fault {
    const fault: Fault = { request, action, times, hits: 0 };
    this.faults.push(fault);
    return fault;
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  private take(requestLine: string): Fault | undefined {
    const fault = this.faults.find((f) => f.hits < (f.times ?? 1) && f.request.test(requestLine));
    if (fault) fault.hits++;
    return fault;
  }

  async start(): Promise<void> {
    this.server = net.createServer((client) => this.connect(client));
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : this.port;
  }

  /** Refuses new connections and cuts the open ones: the endpoint is down. */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private connect(client: net.Socket): void {
    const upstream = net.connect(Number(this.target.port), this.target.hostname);
    const both = [client, upstream];
    for (const s of both) {
      this.sockets.add(s);
      s.on('close', () => {
        this.sockets.delete(s);
        for (const other of both) other.destroy();
      });
      s.on('error', () => s.destroy());
    }
    const pending: Pending[] = [];
    this.forwardRequests(client, upstream, pending);
    forwardResponses(upstream, client, pending);
  }

  /** Client → store, one request at a time (keep-alive), applying the fault that matches each. */
  private forwardRequests(client: net.Socket, upstream: net.Socket, pending: Pending[]): void {
    let head = Buffer.alloc(0);
    let bodyLeft = 0;
    let offset = 0;
    let action: FaultAction | undefined;
    let queued: Buffer[] = [];
    let stalled = false;

    const send = (chunk: Buffer) => {
      if (action && 'respond' in action) return; // answered by us: the store never sees it
      if (!upstream.write(chunk)) {
        client.pause();
        upstream.once('drain', () => client.resume());
      }
    };

    /** Forwards the part of `chunk` that belongs to the current body, damaged as the fault says; returns what follows it. */
    const body = (chunk: Buffer): Buffer => {
      const n = Math.min(bodyLeft, chunk.length);
      const out = Buffer.from(chunk.subarray(0, n));
      const at = (where: number) => (where >= offset && where < offset + n ? where - offset : -1);
      if (action && 'flip' in action && at(action.flip) >= 0) out[at(action.flip)]! ^= 0xff;
      if (action && 'stall' in action && at(action.stall) >= 0) {
        const k = at(action.stall);
        const ms = action.ms;
        send(out.subarray(0, k));
        bodyLeft -= k;
        offset += k;
        action = undefined;
        stalled = true;
        queued = [chunk.subarray(k)];
        client.pause();
        setTimeout(() => {
          stalled = false;
          if (client.destroyed) return;
          const held = Buffer.concat(queued);
          queued = [];
          client.resume();
          onData(held);
        }, ms);
        return Buffer.alloc(0);
      }
      const end = action && 'cut' in action ? action.cut : action && 'truncate' in action ? action.truncate : -1;
      if (end >= 0 && at(end) >= 0) {
        send(out.subarray(0, at(end)));
        if (action && 'cut' in action) {
          client.resetAndDestroy();
          upstream.resetAndDestroy();
        } else {
          upstream.end();
        }
        bodyLeft = -1; // the rest of this connection is dropped
        return Buffer.alloc(0);
      }
      send(out);
      bodyLeft -= n;
      offset += n;
      return chunk.subarray(n);
    };

    const onData = (data: Buffer) => {
      let rest = data;
      while (rest.length > 0) {
        if (stalled) {
          queued.push(rest);
          return;
        }
        if (bodyLeft < 0) return;
        if (bodyLeft > 0) {
          rest = body(rest);
          continue;
        }
        head = Buffer.concat([head, rest]);
        const end = head.indexOf(HEADER_END);
        if (end < 0) return;
        const headers = head.subarray(0, end + 4);
        rest = head.subarray(end + 4);
        head = Buffer.alloc(0);
        const text = headers.toString('latin1');
        const requestLine = text.slice(0, text.indexOf('\r\n'));
        this.requests.push(requestLine);
        bodyLeft = Number(/\r\ncontent-length:\s*(\d+)/i.exec(text)?.[1] ?? 0);
        offset = 0;
        action = this.take(requestLine)?.action;
        if (action && 'respond' in action) {
          client.write(action.respond);
        } else {
          pending.push({ method: requestLine.split(' ')[0]!, flipResponse: action && 'flipResponse' in action ? action.flipResponse : undefined });
          send(headers);
        }
      }
    };
    client.on('data', (data: Buffer) => onData(data));
    client.on('end', () => upstream.end());
  }
}

/**
 * Store → client. Responses are parsed (for `flipResponse`) while they carry a Content-Length;
 * after a chunked one the rest of the connection is passed through untouched.
 */
function forwardResponses(upstream: net.Socket, client: net.Socket, pending: Pending[]): void {
  let head = Buffer.alloc(0);
  let bodyLeft = 0;
  let offset = 0;
  let flip: number | undefined;
  let passthrough = false;
  upstream.on('data', (data: Buffer) => {
    if (passthrough) {
      client.write(data);
      return;
    }
    let rest = data;
    const out: Buffer[] = [];
    while (rest.length > 0) {
      if (bodyLeft > 0) {
        const take = Buffer.from(rest.subarray(0, Math.min(bodyLeft, rest.length)));
        if (flip !== undefined && flip >= offset && flip < offset + take.length) take[flip - offset]! ^= 0xff;
        out.push(take);
        bodyLeft -= take.length;
        offset += take.length;
        rest = rest.subarray(take.length);
        continue;
      }
      head = Buffer.concat([head, rest]);
      const end = head.indexOf(HEADER_END);
      if (end < 0) break;
      const text = head.subarray(0, end + 4).toString('latin1');
      out.push(head.subarray(0, end + 4));
      rest = head.subarray(end + 4);
      head = Buffer.alloc(0);
      const status = Number(text.split(' ')[1]);
      if (status === 100) continue;
      const request = pending.shift();
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(text)?.[1];
      if (length === undefined && request?.method !== 'HEAD' && status !== 204 && status !== 304) {
        passthrough = true;
        out.push(rest);
        break;
      }
      bodyLeft = request?.method === 'HEAD' || status === 204 || status === 304 ? 0 : Number(length);
      offset = 0;
      flip = request?.flipResponse;
    }
    if (out.length > 0) client.write(Buffer.concat(out));
  });
  upstream.on('end', () => client.end());
}
