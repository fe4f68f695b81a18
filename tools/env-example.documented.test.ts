import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
/** Where settings are declared: each app's config schema, and the engine-TLS settings shared by gateway and CLI. */
const CONFIG_FILES = [
  'apps/engine/src/config.ts',
  'apps/gateway/src/config.ts',
  'apps/cli/src/config.ts',
  'libs/config/src/parse-env.ts',
];

/** `.env.example` is the list of every setting with its default: it must name each one, and nothing else. */
describe('.env.example', () => {
  const declared = new Set(
    CONFIG_FILES.flatMap((f) =>
      [...fs.readFileSync(path.join(ROOT, f), 'utf8').matchAll(/^ {2}([A-Z][A-Z0-9_]+): /gm)].map(
        (m) => m[1] as string,
      ),
    ),
  );
  const documented = new Set(
    [...fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8').matchAll(/^(?:# ?)?([A-Z][A-Z0-9_]+)=/gm)].map(
      (m) => m[1] as string,
    ),
  );

  it('documents every setting the apps read', () => {
    expect(declared.size).toBeGreaterThan(50);
    expect([...declared].filter((k) => !documented.has(k))).toEqual([]);
  });

  it('documents no setting that no app reads any more', () => {
    expect([...documented].filter((k) => !declared.has(k))).toEqual([]);
  });
});
