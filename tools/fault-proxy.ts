// A fault-injection TCP proxy for manual drills: `node bin/run-ts.js tools/fault-proxy.ts <listenPort> <targetHost:port>`,
// then type a mode on stdin: pass | reset | blackhole | delay <ms> | throttle <bytesPerSecond>.
import readline from 'node:readline';
import { startFaultProxy, type FaultMode } from '@strongroom/testing';

async function main(): Promise<void> {
  const [listen, target] = process.argv.slice(2);
  const [host, port] = (target ?? '').split(':');
  if (!listen || !host || !port) {
    console.error('usage: fault-proxy <listenPort> <targetHost:port>');
    process.exit(2);
  }
  const proxy = await startFaultProxy({ host, port: Number(port) }, Number(listen));
  console.log(
    `fault proxy ${proxy.address} → ${target}; modes: pass | reset | blackhole | delay <ms> | throttle <bytes/s>`,
  );
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const [mode, arg] = line.trim().split(/\s+/);
    const next: FaultMode | undefined =
      mode === 'delay'
        ? { mode, ms: Number(arg) }
        : mode === 'throttle'
          ? { mode, bytesPerSecond: Number(arg) }
          : mode === 'pass' || mode === 'reset' || mode === 'blackhole'
            ? { mode }
            : undefined;
    if (!next) console.log('unknown mode');
    else {
      proxy.setMode(next);
      console.log(`mode: ${JSON.stringify(next)} (${proxy.connections()} connections)`);
    }
  }
  await proxy.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
