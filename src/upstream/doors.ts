import net from 'node:net';

/** A port lent to one invocation while several run: its connections say whose they are. */
export interface Door {
  url: string;
  /** Gives the port back to the pool (it stays open for the next invocation). */
  release(): void;
}

/**
 * Extra listening sockets on 127.0.0.1 in front of one server: each is lent to
 * one invocation at a time, so a request tells which invocation sent it by the
 * port it came in on (`invocationOf(socket.localPort)`). Ports are kept and
 * reused, never closed before `close()`.
 */
export class DoorPool {
  /** Door port -> the invocation it is lent to (absent: free). */
  private readonly lentTo = new Map<number, number>();
  private readonly listeners: net.Server[] = [];
  private readonly free: number[] = [];

  /** `accept` takes each connection a door receives (the server's own `emit('connection', socket)`). */
  constructor(private readonly accept: (socket: net.Socket) => void) {}

  /** The invocation a door port is lent to, if it is one. */
  invocationOf(port: number | undefined): number | undefined {
    return this.lentTo.get(port ?? -1);
  }

  async lend(invocationId: number): Promise<Door> {
    let port = this.free.pop();
    if (port === undefined) {
      const listener = net.createServer((socket) => this.accept(socket));
      await new Promise<void>((resolve, reject) => {
        listener.once('error', reject);
        listener.listen(0, '127.0.0.1', () => resolve());
      });
      port = (listener.address() as net.AddressInfo).port;
      this.listeners.push(listener);
    }
    const lent = port;
    this.lentTo.set(lent, invocationId);
    return {
      url: `http://127.0.0.1:${lent}`,
      release: () => {
        if (this.lentTo.delete(lent)) this.free.push(lent);
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.listeners.map((listener) => new Promise<void>((resolve) => listener.close(() => resolve()))));
  }
}
