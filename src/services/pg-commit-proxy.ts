import net from 'node:net';
import { Parser } from 'pg-protocol/dist/parser.js';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';

/** What happens to the answer of one COMMIT the server performed. */
export type CommitFault = 'none' | 'drop' | 'hold';

/** One COMMIT the server performed, as the proxy saw it. */
export interface CommitEvent {
  /** 1-based, across every connection since the proxy started (or since `reset`). */
  ordinal: number;
  fault: CommitFault;
  /** 'response': the client got CommandComplete; 'reset': the connection was dropped instead; 'held': kept open, never answered. */
  delivery: 'response' | 'reset' | 'held';
}

export interface CommitProxyOptions {
  /** The fault for the Nth COMMIT (default: none). */
  faultFor?: (ordinal: number) => CommitFault;
  /** A held connection is dropped after this long even if the client never gives up. */
  holdLimitMs?: number;
  onCommit?: (event: CommitEvent) => void;
}

/**
 * A PostgreSQL-protocol-aware TCP proxy on 127.0.0.1 between a target and its
 * server, for the database's after-commit fault: the target's COMMIT reaches
 * the server and is performed, and then the proxy drops the connection (or
 * holds it) before the client sees CommandComplete, as when a connection dies
 * between the server's commit and its answer. It forwards bytes untouched and
 * reads only the server's messages, framed by their 5-byte header and decoded
 * with pg-protocol's parser: a CommandComplete whose tag is COMMIT is a
 * performed commit (an aborted transaction's COMMIT answers ROLLBACK).
 */
export class PgCommitProxy {
  readonly events: CommitEvent[] = [];
  private commits = 0;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly options: CommitProxyOptions,
  ) {}

  static async start(upstreamPort: number, options: CommitProxyOptions = {}): Promise<PgCommitProxy> {
    let proxy: PgCommitProxy | undefined;
    const server = net.createServer((client) => proxy?.pipe(client, upstreamPort));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    proxy = new PgCommitProxy(server, (server.address() as net.AddressInfo).port, options);
    return proxy;
  }

  /** Counts COMMITs from 1 again and forgets the events (a new case). */
  reset(faultFor?: (ordinal: number) => CommitFault): void {
    this.commits = 0;
    this.events.length = 0;
    if (faultFor) this.options.faultFor = faultFor;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private pipe(client: net.Socket, upstreamPort: number): void {
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    // Small protocol messages must not wait for Nagle's algorithm.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    this.sockets.add(client).add(upstream);
    const both = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', both).on('close', both);
    upstream.on('error', both).on('close', both);
    client.on('data', (chunk: Buffer) => {
      // An SSLRequest (or GSSENCRequest) is answered with one unframed byte.
      if (!started && chunk.length >= 8 && chunk.readInt32BE(0) === 8) awaitingOneByte = true;
      upstream.write(chunk);
    });
    let started = false;
    let awaitingOneByte = false;
    let pending: Buffer = Buffer.alloc(0);
    let held = false;
    const parser = new Parser();
    upstream.on('data', (chunk: Buffer) => {
      if (held) return;
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let offset = 0;
      if (awaitingOneByte && pending.length > 0) {
        awaitingOneByte = false;
        offset = 1;
      }
      while (pending.length - offset >= 5) {
        const length = pending.readInt32BE(offset + 1);
        const end = offset + 1 + length;
        if (pending.length < end) break;
        started = true;
        if (pending[offset] === 0x43 /* 'C': CommandComplete */ && isCommit(parser, pending.subarray(offset, end))) {
          this.commits += 1;
          const fault = this.options.faultFor?.(this.commits) ?? 'none';
          if (fault !== 'none') {
            // What came before the CommandComplete reaches the client; the CommandComplete never does.
            client.write(pending.subarray(0, offset));
            this.record({ ordinal: this.commits, fault, delivery: fault === 'drop' ? 'reset' : 'held' });
            if (fault === 'drop') both();
            else this.hold(client, both, () => (held = true));
            pending = Buffer.alloc(0);
            return;
          }
          this.record({ ordinal: this.commits, fault, delivery: 'response' });
        }
        offset = end;
      }
      client.write(pending.subarray(0, offset));
      pending = pending.subarray(offset);
    });
  }

  private hold(client: net.Socket, drop: () => void, mark: () => void): void {
    mark();
    const timer = setTimeout(drop, this.options.holdLimitMs ?? 10_000);
    timer.unref();
    client.once('close', () => clearTimeout(timer));
  }

  private record(event: CommitEvent): void {
    this.events.push(event);
    this.options.onCommit?.(event);
  }
}

/** Whether one framed server message is CommandComplete with the tag COMMIT. */
function isCommit(parser: Parser, frame: Buffer): boolean {
  let commit = false;
  parser.parse(frame, (message: BackendMessage) => {
    commit = message.name === 'commandComplete' && (message as BackendMessage & { text: string }).text === 'COMMIT';
  });
  return commit;
}
