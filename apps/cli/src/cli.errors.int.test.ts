import net from 'node:net';
import { runCli } from '@strongroom/testing';

const lastJson = (stdout: string) =>
  JSON.parse(stdout.trim().split('\n').pop() as string) as { error: string; code: string };

/** A port on loopback where nothing listens: the CLI's engine is unreachable. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** The CLI's error edges as scripts see them: exit codes, one usage line, stable string codes in --json. */
describe('strongroom errors', () => {
  it('answers a missing argument with exit 2, the usage on stderr and INVALID_ARGUMENT in --json', async () => {
    const r = await runCli(['pause', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('usage: strongroom pause <runId> [--reason TEXT] [--json]');
    expect(lastJson(r.stdout)).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('names the bad option value and the unknown command, with exit 2', async () => {
    const bad = await runCli(['inspect', 'statement.xml', '--format', 'swift']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--format must be one of ach, .*bai2/);
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
  });

  it('reports an unreachable engine with exit 1 and the stable code UNAVAILABLE, not a gRPC number', async () => {
    const r = await runCli(['status', '00000000-0000-4000-8000-000000000000', '--json'], {
      STRONGROOM_ENGINE: `127.0.0.1:${await closedPort()}`,
      STRONGROOM_CLI_DEADLINE_MS: '3000',
    });
    expect(r.code).toBe(1);
    expect(lastJson(r.stdout)).toMatchObject({
      code: 'UNAVAILABLE',
      error: expect.stringContaining('engine unavailable'),
    });
  });
});
