import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Delivery } from '../ledger/rows.js';
import type { RawOutcome, UpstreamPipeline } from './pipeline.js';
import { DoorPool, type Door } from './doors.js';
import { resetSocket } from './transport.js';

export interface LoopbackServer {
  readonly url: string;
  readonly port: number;
  /**
   * A port of its own for one invocation: what comes in on it is attributed to
   * that invocation, even while others run (the concurrency probe). Release it
   * when the invocation is over; ports are reused, and closed with the server.
   */
  door(invocationId: number): Promise<Door>;
  /**
   * Serves a request another server read (the forward proxy: a request from a
   * CONNECT tunnel, or an absolute-form plain one, its url rewritten to a path).
   * Faults act on `req.socket`, the client's own connection.
   */
  handle(req: IncomingMessage, res: ServerResponse, invocationHint: number | undefined): void;
  close(): Promise<void>;
}

export type { Door } from './doors.js';

export interface LoopbackOptions {
  /** A held connection is dropped after this long even if the client never gives up. */
  holdLimitMs: number;
  /** Request bodies above this are refused with 413 (a mock upstream has no business with more). */
  maxBodyBytes?: number;
}

/**
 * Serves an upstream pipeline to out-of-process targets on 127.0.0.1. Over a
 * real socket msw's `HttpResponse.error()` means nothing, so this layer does the
 * network faults itself: it destroys the socket for a reset, keeps it open for a
 * hold, and writes part of a body before destroying it for a truncation.
 */
export async function startLoopbackServer(pipeline: UpstreamPipeline, options: LoopbackOptions): Promise<LoopbackServer> {
  const sockets = new Set<Socket>();
  const holds = new Set<() => void>();
  const handle = (req: IncomingMessage, res: ServerResponse, invocationHint: number | undefined): void => {
    serve(pipeline, options, holds, req, res, invocationHint).catch((error: unknown) => {
      // A harness bug: answer 500 so the target sees something, and say why on stderr.
      process.stderr.write(`retryproof: upstream ${pipeline.name} failed on ${req.method} ${req.url}: ${String(error)}\n`);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  };
  const server = http.createServer((req, res) => handle(req, res, doors.invocationOf(req.socket.localPort)));
  // Another listening socket per racer, whose connections the one http server serves.
  const doors = new DoorPool((socket) => server.emit('connection', socket));
  server.keepAliveTimeout = 5_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    door: (invocationId) => doors.lend(invocationId),
    handle,
    async close() {
      for (const release of holds) release();
      for (const socket of sockets) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => server.close(() => resolve())),
        doors.close(),
      ]);
    },
  };
}

async function serve(
  pipeline: UpstreamPipeline,
  options: LoopbackOptions,
  holds: Set<() => void>,
  req: IncomingMessage,
  res: ServerResponse,
  invocationHint: number | undefined,
): Promise<void> {
  const body = await readBody(req, options.maxBodyBytes ?? 10 * 1024 * 1024);
  if (body === 'too-large') {
    res.writeHead(413).end();
    return;
  }
  // No WHATWG Request here: the pipeline builds one only for msw handlers.
  const raw = { method: req.method ?? 'GET', url: req.url ?? '/', host: req.headers.host, headers: req.headers, body, invocationHint };
  const result = await pipeline.handleRaw(raw);
  await deliver(result.outcome, req, res, options, holds, result.crashTarget).then(
    ({ delivery, status }) => result.delivered(delivery, status),
  );
}

async function deliver(
  outcome: RawOutcome,
  req: IncomingMessage,
  res: ServerResponse,
  options: LoopbackOptions,
  holds: Set<() => void>,
  crashTarget: () => void,
): Promise<{ delivery: Delivery; status: number | null }> {
  switch (outcome.kind) {
    case 'plain': {
      if (res.destroyed || req.socket.destroyed) return { delivery: 'abandoned', status: null };
      const { status, headers, bytes } = outcome.plain;
      res.writeHead(status, headers);
      res.end(bytes);
      return { delivery: 'response', status };
    }
    case 'respond': {
      // The client gave up while the answer was late: nothing reached it. Said as soon as it gives up, so the
      // row's end is when the client stopped waiting, not when the delay ran out: a retry sent at once must
      // not seem to start before the request it repeats ended (issue 18, hole 7; in-process does the same).
      if (outcome.delayMs && (await delayUnlessClientGone(req, outcome.delayMs))) return { delivery: 'abandoned', status: null };
      if (res.destroyed || req.socket.destroyed) return { delivery: 'abandoned', status: null };
      const bytes = Buffer.from(await outcome.response.arrayBuffer());
      res.writeHead(outcome.response.status, responseHeaders(outcome.response, bytes.length));
      res.end(bytes);
      return { delivery: 'response', status: outcome.response.status };
    }
    case 'hold':
      await hold(req, options.holdLimitMs, holds);
      res.destroy();
      return { delivery: 'held', status: null };
    case 'reset':
      resetSocket(req.socket);
      return { delivery: 'reset', status: null };
    case 'truncate': {
      const bytes = Buffer.from(await outcome.response.arrayBuffer());
      res.writeHead(outcome.response.status, responseHeaders(outcome.response, bytes.length));
      res.write(bytes.subarray(0, Math.min(outcome.bytes, Math.max(0, bytes.length - 1))));
      // Let the partial write reach the socket before the reset.
      await new Promise((resolve) => setImmediate(resolve));
      resetSocket(req.socket);
      return { delivery: 'truncated', status: outcome.response.status };
    }
    case 'crash':
      crashTarget();
      resetSocket(req.socket);
      return { delivery: 'crashed', status: null };
  }
}

/** Waits until the client closes the connection or the hold limit passes. */
function hold(req: IncomingMessage, limitMs: number, holds: Set<() => void>): Promise<void> {
  return new Promise((resolve) => {
    const socket = req.socket;
    let release = (): void => undefined;
    const timer = setTimeout(() => release(), limitMs);
    release = () => {
      clearTimeout(timer);
      socket.off('close', release);
      holds.delete(release);
      resolve();
    };
    holds.add(release);
    if (socket.destroyed) release();
    else socket.once('close', release);
  });
}

/** Waits `ms`, or less if the client closes the connection first; true when it did. */
function delayUnlessClientGone(req: IncomingMessage, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = req.socket;
    if (socket.destroyed) {
      resolve(true);
      return;
    }
    const gone = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      socket.off('close', gone);
      resolve(false);
    }, ms);
    socket.once('close', gone);
  });
}

function responseHeaders(response: Response, length: number): Record<string, string> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'content-length' && name !== 'transfer-encoding') headers[name] = value;
  });
  headers['content-length'] = String(length);
  return headers;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? 'too-large' : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
