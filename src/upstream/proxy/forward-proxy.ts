import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import tls from 'node:tls';
import type { Door } from '../loopback-server.js';
import { DoorPool } from '../doors.js';
import { setTransport } from '../transport.js';
import type { ProxyCertificates } from './certificates.js';
import { refusalMessage, type RefusalLog } from './refusals.js';

/** Serves one declared host: the upstream's loopback server, handed a request another server read. */
export type HostHandler = (req: IncomingMessage, res: ServerResponse, invocationHint: number | undefined) => void;

export interface ForwardProxy {
  /** http://127.0.0.1:PORT, for HTTPS_PROXY and HTTP_PROXY. */
  readonly url: string;
  /** A port of its own for one invocation (a racer of the concurrency probe), as LoopbackServer.door. */
  door(invocationId: number): Promise<Door>;
  close(): Promise<void>;
}

export interface ForwardProxyOptions {
  /** Lower-case host name -> its upstream. */
  hosts: ReadonlyMap<string, HostHandler>;
  certificates: ProxyCertificates;
  refusals: RefusalLog;
}

/** The first byte of a TLS handshake record: a tunnel that starts with it carries TLS, else plain HTTP (undici tunnels http:// too). */
const TLS_HANDSHAKE = 0x16;

/**
 * A forward proxy on 127.0.0.1 for targets that hard-code their hosts. A
 * CONNECT to a declared host is answered 200 and its TLS is ended here with a
 * certificate of the run's own CA; the decrypted requests go to that host's
 * upstream on this very connection, so the upstream's faults (reset, hold,
 * truncate) act on the client's own TLS stream and TCP connection: a reset
 * is a reset, a hold a hang, never a 502 from a proxy in between. A plain
 * request in absolute form (HTTP_PROXY) goes the same way. Any other host is
 * refused (403, the tunnel closed) and logged: nothing leaves the machine.
 */
export async function startForwardProxy(options: ForwardProxyOptions): Promise<ForwardProxy> {
  const sockets = new Set<Socket>();
  /** A tunnel's decrypted (or plain) socket -> the host it was opened to and the invocation it was opened for. */
  const tunnels = new WeakMap<Socket, { host: string; invocationHint: number | undefined }>();
  const secureContext = tls.createSecureContext({ cert: options.certificates.certPem, key: options.certificates.keyPem });
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };

  // Requests that came through a tunnel: their host is the tunnel's, whatever the Host header says.
  const inner = http.createServer((req, res) => {
    const tunnel = tunnels.get(req.socket);
    const handler = tunnel && options.hosts.get(tunnel.host);
    if (!tunnel || !handler) res.writeHead(500).end();
    else handler(req, res, tunnel.invocationHint);
  });
  inner.keepAliveTimeout = 5_000;

  const outer = http.createServer((req, res) => {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('retryproof: this is a forward proxy: send absolute-form requests (http://host/path) or CONNECT\n');
      return;
    }
    const host = target.hostname.toLowerCase();
    const handler = target.protocol === 'http:' ? options.hosts.get(host) : undefined;
    if (!handler) {
      options.refusals.add({ host, port: Number(target.port || 80), method: req.method ?? 'GET' });
      res.writeHead(403, { 'content-type': 'text/plain', connection: 'close' }).end(`${refusalMessage(host)}\n`);
      return;
    }
    // The upstream reads a request line's path, as a server is sent one.
    req.url = `${target.pathname}${target.search}`;
    handler(req, res, doors.invocationOf(req.socket.localPort));
  });
  outer.keepAliveTimeout = 5_000;
  outer.on('connection', track);
  // A port of the proxy's own per racer: its tunnels say which invocation opened them.
  const doors = new DoorPool((socket) => outer.emit('connection', socket));
  outer.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    // A client that drops the tunnel must not take the harness down with an unhandled ECONNRESET.
    socket.on('error', () => socket.destroy());
    const { host, port } = authority(req.url ?? '');
    if (!options.hosts.has(host)) {
      options.refusals.add({ host, port, method: 'CONNECT' });
      const body = `${refusalMessage(host)}\n`;
      socket.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      return;
    }
    const invocationHint = doors.invocationOf(socket.localPort);
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) socket.unshift(head);
    // Which it carries, TLS or plain HTTP, the client's first byte says.
    socket.once('readable', () => {
      const first = socket.read(1) as Buffer | null;
      if (first === null) return;
      socket.unshift(first);
      let stream: Socket = socket;
      if (first[0] === TLS_HANDSHAKE) {
        const secure = new tls.TLSSocket(socket, { isServer: true, secureContext, ALPNProtocols: ['http/1.1'] });
        setTransport(secure, socket);
        track(secure);
        // A client that gives up during the handshake: nothing to serve, nothing to report.
        secure.on('error', () => secure.destroy());
        stream = secure;
      }
      tunnels.set(stream, { host, invocationHint });
      inner.emit('connection', stream);
    });
  });

  await new Promise<void>((resolve, reject) => {
    outer.once('error', reject);
    outer.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = outer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    door: (invocationId) => doors.lend(invocationId),
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => outer.close(() => resolve())),
        new Promise<void>((resolve) => inner.close(() => resolve())),
        doors.close(),
      ]);
    },
  };
}

/** host:port of a CONNECT request line (an IPv6 literal in brackets), the host lower-cased. */
function authority(target: string): { host: string; port: number } {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(target) ?? /^([^:]+):(\d+)$/.exec(target);
  if (!match) return { host: target.toLowerCase(), port: 443 };
  return { host: match[1]!.toLowerCase(), port: Number(match[2]) };
}
