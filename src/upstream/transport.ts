import type { Socket } from 'node:net';

/**
 * The TCP socket under a TLS socket the forward proxy opened on a CONNECT
 * tunnel. A reset must hit the TCP connection itself (node's resetAndDestroy
 * works on TCP handles only), so the client sees ECONNRESET, as without TLS.
 */
const TRANSPORT = Symbol('retryproof.transport');

export function setTransport(socket: Socket, transport: Socket): void {
  (socket as Socket & { [TRANSPORT]?: Socket })[TRANSPORT] = transport;
}

/** The socket whose TCP connection carries `socket` (itself, without TLS in between). */
export function transportOf(socket: Socket): Socket {
  return (socket as Socket & { [TRANSPORT]?: Socket })[TRANSPORT] ?? socket;
}

/** An RST rather than a FIN: the client sees ECONNRESET, as with a dropped connection. */
export function resetSocket(socket: Socket): void {
  const tcp = transportOf(socket);
  if (typeof tcp.resetAndDestroy === 'function' && !tcp.destroyed) tcp.resetAndDestroy();
  else tcp.destroy();
  if (tcp !== socket) socket.destroy();
}
