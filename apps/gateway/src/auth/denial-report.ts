// The gateway's refusals (401, 403, 4403, 429 before authentication) go to the audit chain through the
// engine: counted by kind here, reported every interval with OpsService.ReportDenials as the gateway
// itself (a service token, or its client certificate), never as the caller who was refused.
import fs from 'node:fs';
import { Metadata } from '@grpc/grpc-js';
import { DenialCounter, signDevToken, type Denial } from '@strongroom/auth';
import { callUnary, METADATA_KEYS, type OpsServiceClient, type ReportDenialsRequest } from '@strongroom/contract';
import { type Logger } from '@strongroom/logging';

/** Where the gateway records a refusal it made itself. */
export interface DenialSink {
  record(d: Omit<Denial, 'via'>): void;
}

export interface DenialReportOptions {
  ops: OpsServiceClient;
  logger: Logger;
  intervalSeconds: number;
  deadlineMs: number;
  /** A bearer token file for the gateway's own identity (re-read at every report). */
  serviceTokenFile?: string | undefined;
  /** Development: sign a short-lived service token with this HS256 secret. */
  devSecret?: string | undefined;
}

/** Counts the gateway's refusals and reports them to the engine (which audits them) every interval. */
export class DenialReporter implements DenialSink {
  private readonly counter = new DenialCounter();
  private timer: NodeJS.Timeout | undefined;
  private failing = false;

  constructor(private readonly o: DenialReportOptions) {}

  record(d: Omit<Denial, 'via'>): void {
    this.counter.add({ ...d, via: 'gateway' });
  }

  start(): void {
    this.timer = setInterval(() => void this.report(), this.o.intervalSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.report();
  }

  /** Sends what was counted since the last report; on failure keeps it (bounded) for the next one. */
  async report(): Promise<void> {
    if (this.counter.empty) return;
    const batch = this.counter.drain();
    const req: ReportDenialsRequest = {
      denials: batch.denials.map((d) => ({
        who: d.who,
        what: d.what,
        code: d.code,
        reason: d.reason,
        count: d.count,
        first: new Date(d.first),
        last: new Date(d.last),
      })),
      dropped: batch.dropped,
    };
    const metadata = new Metadata();
    const token = this.serviceToken();
    if (token) metadata.set(METADATA_KEYS.authorization, `Bearer ${token}`);
    try {
      await callUnary(this.o.ops, this.o.ops.reportDenials, req, this.o.deadlineMs, metadata);
      if (this.failing) this.o.logger.info('denials:reporting-again');
      this.failing = false;
    } catch (err) {
      this.counter.restore(batch);
      if (!this.failing)
        this.o.logger.warn('denials:report-failed', {
          error: (err as Error).message,
          note: 'refusals stay in the log and are kept (bounded) for the next report; give the gateway a service identity (GATEWAY_SERVICE_TOKEN_FILE or a client certificate mapped by ENGINE_TLS_CLIENT_PRINCIPALS)',
        });
      this.failing = true;
    }
  }

  private serviceToken(): string | undefined {
    if (this.o.serviceTokenFile) {
      try {
        return fs.readFileSync(this.o.serviceTokenFile, 'utf8').trim() || undefined;
      } catch {
        return undefined;
      }
    }
    if (this.o.devSecret)
      return signDevToken({ sub: 'gateway', roles: ['gateway'], ttlSeconds: 300 }, this.o.devSecret);
    return undefined; // the client certificate speaks for the gateway
  }
}
