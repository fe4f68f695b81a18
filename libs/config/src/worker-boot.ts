import path from 'node:path';

/**
 * The code a worker thread starts with (`new Worker(code, { eval: true })`) to run `file`: run from the
 * TypeScript sources (no build step), the TypeScript loader comes first; from a build, the file alone.
 */
export function workerBootstrap(file: string): string {
  return path.extname(file) === '.ts'
    ? `require(${JSON.stringify(require.resolve('@swc-node/register'))});require(${JSON.stringify(file)});`
    : `require(${JSON.stringify(file)});`;
}
