// A verification worker: receives pages of the chain (one JSON string each) and hashes their entries.
import { parentPort } from 'node:worker_threads';
import { hashPage } from './entry-hash';

parentPort?.on('message', (m: { id: number; page: string }) => {
  const r = hashPage(m.page);
  parentPort?.postMessage({ id: m.id, r }, [
    r.seqs.buffer,
    r.fits.buffer,
    r.shifts.buffer,
    r.links.buffer,
  ] as ArrayBuffer[]);
});
