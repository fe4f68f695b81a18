import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * docs/design.md §2's dependency rules are enforced by lint, not just written down: these feed the
 * workspace's real ESLint config with source placed in the gateway and check that it is refused.
 */
const ROOT = path.resolve(__dirname, '..', '..', '..');

/** Lints `code` as if it were the file `relativeFile`, with the workspace's ESLint CLI and config. */
async function lint(relativeFile: string, code: string): Promise<string[]> {
  let out: string;
  try {
    out = execFileSync(
      path.join(ROOT, 'node_modules', '.bin', 'eslint'),
      ['--format', 'json', '--stdin', '--stdin-filename', relativeFile],
      {
        cwd: ROOT,
        input: code,
        encoding: 'utf8',
      },
    );
  } catch (err) {
    out = String((err as { stdout?: string }).stdout ?? ''); // exit 1 = problems found
  }
  const [result] = JSON.parse(out) as { messages: { ruleId: string | null; message: string }[] }[];
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('module boundaries', () => {
  beforeAll(() => {
    // the boundary rule reads the cached Nx project graph; make sure it exists (fresh clone)
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'nx'), ['show', 'projects'], {
      cwd: ROOT,
      env: { ...process.env, NX_DAEMON: 'false' },
      stdio: 'ignore',
    });
  }, 60_000);

  it('refuses typeorm, pg and @strongroom/db in the gateway', async () => {
    const messages = await lint(
      'apps/gateway/src/sneaky.ts',
      "import { DataSource } from 'typeorm';\nimport { Client } from 'pg';\nimport { createDataSource } from '@strongroom/db';\nexport const x = [DataSource, Client, createDataSource];\n",
    );
    expect(messages.filter((m) => m.startsWith('@nx/enforce-module-boundaries')).length).toBeGreaterThanOrEqual(3);
  }, 60_000);

  it('refuses deep imports into another project and wire types in domain libs', async () => {
    expect(
      await lint(
        'apps/gateway/src/deep.ts',
        "import { x } from '@strongroom/contract/src/client';\nexport const y = x;\n",
      ),
    ).toEqual(expect.arrayContaining([expect.stringContaining('Import the project through its public API')]));
    expect(
      await lint('libs/pipeline/src/wire.ts', "import { Run } from '@strongroom/contract';\nexport const r = Run;\n"),
    ).toEqual(expect.arrayContaining([expect.stringMatching(/^@nx\/enforce-module-boundaries/)]));
  }, 60_000);

  it('refuses two import statements of one module', async () => {
    expect(
      await lint(
        'apps/gateway/src/twice.ts',
        "import { ErrorCode } from '@strongroom/errors';\nimport { isErrorCode } from '@strongroom/errors';\nexport const z = [ErrorCode, isErrorCode];\n",
      ),
    ).toEqual(expect.arrayContaining([expect.stringMatching(/^import\/no-duplicates/)]));
  }, 60_000);

  it('refuses code the formatter would change (width 120)', () => {
    const prettier = path.join(ROOT, 'node_modules', '.bin', 'prettier');
    const check = (code: string) => {
      try {
        execFileSync(prettier, ['--check', '--stdin-filepath', 'apps/gateway/src/format.ts'], {
          cwd: ROOT,
          input: code,
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        return 'formatted';
      } catch {
        return 'refused';
      }
    };
    expect(check(`export const ok = ['a', 'b'];\n`)).toBe('formatted');
    expect(check(`export const tooWide = [${Array.from({ length: 30 }, (_, i) => `'item-${i}'`).join(', ')}];\n`)).toBe(
      'refused',
    );
    expect(check(`export const quotes = "double";\n`)).toBe('refused');
  });

  it('lets only tests import the testing library', async () => {
    const src = "import { makeTempDir } from '@strongroom/testing';\nexport const d = makeTempDir;\n";
    expect(
      (await lint('apps/engine/src/prod.ts', src)).some((m) => m.startsWith('@nx/enforce-module-boundaries')),
    ).toBe(true);
    expect(
      (await lint('apps/engine/src/prod.int.test.ts', src)).some((m) => m.startsWith('@nx/enforce-module-boundaries')),
    ).toBe(false);
  }, 60_000);
});
