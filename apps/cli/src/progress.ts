import { type Run } from '@strongroom/contract';
import { STATUS_NAME } from './summary';

/**
 * A live progress line on stderr: bar by bytes read, records/s, read/loaded/rejected. On a terminal it
 * redraws in place; otherwise it prints a line at most every 5 s (CI logs stay readable).
 */
export class ProgressBar {
  private lastPrint = 0;
  private drawn = false;
  private readonly tty = Boolean(process.stderr.isTTY);

  update(run: Run): void {
    const now = Date.now();
    if (!this.tty && now - this.lastPrint < 5000) return;
    this.lastPrint = now;
    const frac = run.sourceBytes ? Math.min(1, run.bytesRead / run.sourceBytes) : 0;
    const width = 30;
    const filled = Math.round(frac * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const line =
      `${bar} ${(frac * 100).toFixed(0).padStart(3)}%  ${Math.round(run.recordsPerSecond).toLocaleString('en-US')} rec/s  ` +
      `read ${run.read.toLocaleString('en-US')}  loaded ${run.loaded.toLocaleString('en-US')}  rejected ${run.deadLettered.toLocaleString('en-US')}` +
      (run.filtered ? `  filtered ${run.filtered.toLocaleString('en-US')}` : '') +
      `  ${STATUS_NAME[run.status]}`;
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K${line}`);
      this.drawn = true;
    } else {
      process.stderr.write(`${line}\n`);
    }
  }

  done(): void {
    if (this.drawn) process.stderr.write('\n');
    this.drawn = false;
  }
}
