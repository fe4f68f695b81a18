/**
 * p50/p99 latency of a typical `runs` query through the real stack (embedded PostgreSQL, engine,
 * gateway) at N concurrent clients, with autocannon. Not part of npm test.
 *   node bin/run-ts.js tools/gateway-latency.ts [--connections 100] [--seconds 15] [--runs 50]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import autocannon from 'autocannon';
import { generateTransactionsCsv } from '@strongroom/datagen';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });

async function main(): Promise<void> {
  const connections = arg('connections', 100);
  const seconds = arg('seconds', 15);
  const runs = arg('runs', 50);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-latency-'));
  fs.chmodSync(home, 0o755);
  const [enginePort, gatewayPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [path.resolve('bin/strongroom.js'), 'serve'], {
    env: {
      ...process.env,
      STRONGROOM_HOME: home,
      ENGINE_PORT: String(enginePort),
      GATEWAY_PORT: String(gatewayPort),
      GATEWAY_RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b));
  child.stderr.on('data', (b: Buffer) => (out += b));
  try {
    for (const until = Date.now() + 120_000; !/dev token \(operator\): (\S+)/.test(out);) {
      if (Date.now() > until || child.exitCode !== null) throw new Error(`serve did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const token = (/dev token \(operator\): (\S+)/.exec(out) as RegExpExecArray)[1] as string;
    const url = `http://127.0.0.1:${gatewayPort}/graphql`;
    const gql = async (query: string, variables: Record<string, unknown> = {}) => {
      const r = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      return (await r.json()) as { data: Record<string, { job?: { id: string } }> };
    };
    // seed: `runs` small runs of one job
    for (let i = 0; i < runs; i++) {
      const csv = path.join(home, `seed-${i}.csv`);
      await generateTransactionsCsv(csv, { rows: 20, seed: i + 1, idPrefix: `L${i}-` });
      const j = await gql(`mutation($d: String!) { createJob(definition: $d) { job { id } } }`, {
        d: `name: latency-${i % 5}\nsource:\n  kind: csv\n  path: ${csv}\n  mapping: { txn_id: id, account: account_iban, amount: amount, currency: currency, booked_at: booked_at }\n`,
      });
      await gql(`mutation($id: ID!) { runJob(jobId: $id) { run { id } } }`, { id: j.data['createJob']?.job?.id });
    }
    await new Promise((r) => setTimeout(r, 2000));
    const body = JSON.stringify({
      query:
        '{ runs(first: 20) { edges { node { id status read loaded deadLettered jobName job { id name } } } pageInfo { hasNextPage endCursor } } }',
    });
    const result = await autocannon({
      url,
      method: 'POST',
      connections,
      duration: seconds,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    });
    const line = `runs query, ${connections} concurrent clients, ${seconds} s: ${result.requests.total} requests, ${Math.round(result.requests.average)} req/s, latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms, non-2xx ${result.non2xx}, errors ${result.errors}`;
    console.log(line);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(home, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
