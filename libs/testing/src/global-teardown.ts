import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis.__strongroomCluster;
  if (!state) return;
  await state.cluster.stop();
  fs.rmSync(state.dir, { recursive: true, force: true });
  globalThis.__strongroomCluster = undefined;
}
