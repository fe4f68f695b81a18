import net from 'node:net';

/**
 * A small TCP proxy for fault-injection tests, switchable at run time:
 * - pass: forward bytes both ways;
 * - reset: destroy every open connection and refuse new ones with a reset;
 * - blackhole: keep connections open but forward nothing (the peer sees a stall, not an error);
 * - delay: forward after `ms` milliseconds per chunk, both ways;
 * - throttle: forward at most `bytesPerSecond` in each direction.
 */
export type FaultMode =
  | { mode: 'pass' }
  | { mode: 'reset' }
  | { mode: 'blackhole' }
  | { mode: 'delay'; ms: number }
  | { mode: 'throttle'; bytesPerSecond: number };

export interface FaultProxy {
  /** host:port to connect to instead of the target. */
  address: string;
  port: number;
  setMode(mode: FaultMode): void;
  mode(): FaultMode;
  /** Connections currently open through the proxy. */
  connections(): number;
  close(): Promise<void>;
}

export async function startFaultProxy(target: { host: string; port: number }, listenPort = 0): Promise<FaultProxy> {
  let current: FaultMode = { mode: 'pass' };
  const sockets = new Set<net.Socket>();

  const pipe = (from: net.Socket, to: net.Socket) => {
    from.on('data', (chunk: Buffer) => {
      const m = current;
      if (m.mode === 'blackhole') return; // swallowed
      if (m.mode === 'delay') {
        from.pause();
        setTimeout(() => {
          if (!to.destroyed) to.write(chunk);
          from.resume();
        }, m.ms);
        return;
      }
      if (m.mode === 'throttle') {
        from.pause();
        setTimeout(
          () => {
            if (!to.destroyed) to.write(chunk);
            from.resume();
          },
          Math.ceil((chunk.length / Math.max(1, m.bytesPerSecond)) * 1000),
        );
        return;
      }
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
    from.on('end', () => to.end());
  };

  const server = net.createServer((client) => {
    client.on('error', () => undefined);
    if (current.mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    pipe(client, upstream);
    pipe(upstream, client);
  });
  await new Promise<void>((resolve, reject) => server.listen(listenPort, '127.0.0.1', resolve).once('error', reject));
  const port = (server.address() as net.AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    port,
    setMode(mode) {
      current = mode;
      if (mode.mode === 'reset') for (const s of sockets) s.resetAndDestroy();
    },
    mode: () => current,
    connections: () => sockets.size / 2,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
