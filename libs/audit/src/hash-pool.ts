import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { workerBootstrap } from '@strongroom/config';
import type { PageResult } from './entry-hash';

type Pending = { resolve: (r: PageResult) => void; reject: (err: Error) => void; worker: Worker };

/**
 * Worker threads that hash pages of audit entries while the caller fetches the next ones. Each entry's
 * hash depends only on its own content and its stored prev_hash, so pages hash independently; the caller
 * still checks the links between entries in order.
 */
export class HashPool {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private turn = 0;

  private constructor(private readonly workers: Worker[]) {
    for (const w of workers) {
      w.on('message', (m: { id: number; r: PageResult }) => {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.resolve(m.r);
      });
      w.on('error', (err) => this.failAll(w, err));
      w.on('exit', (code) => this.failAll(w, new Error(`audit hash worker exited (${code})`)));
    }
  }

  /**
   * The default number of workers: one per core, at least two, at most four. This thread mostly waits for
   * the database, so it needs no core of its own (measured on 2 cores: 1 worker 133,000 entries/s, 2 workers
   * 153,000; see docs/performance-tuning.md).
   */
  static defaultSize(): number {
    return Math.min(4, Math.max(2, availableParallelism()));
  }

  static start(size: number): HashPool {
    const boot = workerBootstrap(path.join(__dirname, `hash-worker${path.extname(__filename)}`));
    return new HashPool(Array.from({ length: size }, () => new Worker(boot, { eval: true })));
  }

  /** Hashes a page (see hashPage) on the next worker. */
  hashPage(page: string): Promise<PageResult> {
    const id = this.nextId++;
    const w = this.workers[this.turn++ % this.workers.length] as Worker;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: w });
      w.postMessage({ id, page });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private failAll(w: Worker, err: Error): void {
    for (const [id, p] of this.pending) {
      if (p.worker !== w) continue;
      this.pending.delete(id);
      p.reject(err);
    }
  }
}
