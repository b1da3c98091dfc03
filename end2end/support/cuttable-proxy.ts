import * as net from 'node:net';

/**
 * A TCP proxy on loopback in front of the server, whose "network" can be cut: every open
 * connection is reset and new ones are refused until it is restored. Browser emulation of
 * offline mode leaves open streams alone, so this is how the tests drop a viewer's connection.
 * Its uplink (browser -> server) can be slowed to a given rate, like a weak upload, also for
 * connections already open (a browser's own network emulation applies only to requests made
 * after it is set). A slow downlink is a real one instead (support/slow-link.ts): a proxy that
 * reads slowly hides the link behind its own kernel's receive buffer.
 */
export class CuttableProxy {
  private server: net.Server;
  private sockets = new Set<net.Socket>();
  private down = false;
  /** Bytes per second from the browser to the server, or unlimited. */
  private uplink: number | null = null;

  private constructor(private targetPort: number) {
    this.server = net.createServer((client) => this.accept(client));
  }

  static async start(targetPort: number): Promise<CuttableProxy> {
    const proxy = new CuttableProxy(targetPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    const address = this.server.address() as net.AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  cut() {
    this.down = true;
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
  }

  restore() {
    this.down = false;
  }

  /** New connections go to `port` from now on (a load balancer moving off a dead server). */
  retarget(port: number) {
    this.targetPort = port;
  }

  /** Limits every connection's browser -> server bytes to `bytesPerSecond` (null: no limit). */
  limitUplink(bytesPerSecond: number | null) {
    this.uplink = bytesPerSecond;
  }

  async close() {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: net.Socket) {
    if (this.down) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    this.forward(client, upstream, () => this.uplink);
    this.forward(upstream, client, () => null);
  }

  /** `from` -> `to`, paced: while `limit()` gives a rate, each chunk waits its time on the wire,
   *  and the sender's socket backs up behind it as it would behind a slow link. */
  private forward(from: net.Socket, to: net.Socket, limit: () => number | null) {
    from.on('data', (chunk: Buffer) => {
      const rate = limit();
      from.pause();
      const send = () => {
        if (to.write(chunk)) from.resume();
        else to.once('drain', () => from.resume());
      };
      if (rate === null) send();
      else setTimeout(send, (chunk.length / rate) * 1000);
    });
  }
}
