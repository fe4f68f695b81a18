import net from 'node:net';
import { startFaultProxy } from './fault-proxy';

/** A real echo server behind the real proxy. */
async function echoServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((s) => {
    s.on('error', () => undefined); // the proxy resets connections on purpose
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}

function roundTrip(
  port: number,
  payload: string,
  timeoutMs = 2000,
): Promise<{ reply?: string; error?: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(payload));
    let got = '';
    const done = (r: { reply?: string; error?: string }) => {
      s.destroy();
      resolve({ ...r, ms: Date.now() - t0 });
    };
    const timer = setTimeout(() => done({ error: 'timeout' }), timeoutMs);
    s.on('data', (b) => {
      got += b.toString();
      if (got.length >= payload.length) {
        clearTimeout(timer);
        done({ reply: got });
      }
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      done({ error: e.code ?? e.message });
    });
  });
}

describe('startFaultProxy', () => {
  it('passes, delays, blackholes, resets and throttles traffic, switchable at run time', async () => {
    const echo = await echoServer();
    const proxy = await startFaultProxy({ host: '127.0.0.1', port: echo.port });
    try {
      expect((await roundTrip(proxy.port, 'hello')).reply).toBe('hello');
      proxy.setMode({ mode: 'delay', ms: 150 });
      const slow = await roundTrip(proxy.port, 'slow');
      expect(slow.reply).toBe('slow');
      expect(slow.ms).toBeGreaterThanOrEqual(290); // delayed both ways
      proxy.setMode({ mode: 'blackhole' });
      expect((await roundTrip(proxy.port, 'lost', 400)).error).toBe('timeout');
      proxy.setMode({ mode: 'reset' });
      expect((await roundTrip(proxy.port, 'x')).error).toBe('ECONNRESET');
      proxy.setMode({ mode: 'throttle', bytesPerSecond: 1000 });
      const throttled = await roundTrip(proxy.port, 'y'.repeat(300));
      expect(throttled.ms).toBeGreaterThanOrEqual(500);
      proxy.setMode({ mode: 'pass' });
      expect((await roundTrip(proxy.port, 'back')).reply).toBe('back');
    } finally {
      await proxy.close();
      await echo.close();
    }
  });
});
