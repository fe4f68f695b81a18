// @clock-sensitive: certificates are valid from the day they are made; npm test runs this file again with the clock a year ahead.
import fs from 'node:fs';
import { credentials, status } from '@grpc/grpc-js';
import {
  createAuditServiceClient,
  createJobServiceClient,
  createOpsServiceClient,
  type ListEntriesRequest,
  type ListEntriesResponse,
  type ListJobsRequest,
  type ListJobsResponse,
  type ReportDenialsRequest,
  type ReportDenialsResponse,
} from '@strongroom/contract';
import {
  createTestDatabase,
  makeTempDir,
  makeTestPki,
  startEngineProcess,
  testToken,
  unaryCall,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';

/**
 * Mutual TLS identifies a caller (issue 16, item 1): a verified client certificate whose CN is mapped in
 * ENGINE_TLS_CLIENT_PRINCIPALS is that principal when the call carries no token, with the mapped roles
 * only; an unmapped certificate admits the connection but identifies nobody; a token always wins.
 */
describe('client certificates as principals (real engine, mutual TLS)', () => {
  const dir = makeTempDir();
  const pki = makeTestPki(dir);
  let db: TestDatabase;
  let engine: EngineProcess;
  const tls = (cert: string, key: string) =>
    credentials.createSsl(fs.readFileSync(pki.ca), fs.readFileSync(key), fs.readFileSync(cert));
  const gatewayCert = () => tls(pki.clientCert, pki.clientKey); // CN strongroom-gateway, mapped to the gateway role
  const otherCert = () => tls(pki.otherCert, pki.otherKey); // CN batch-loader, not mapped

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({
      databaseUrl: db.url,
      env: {
        STRONGROOM_HOME: `${dir}/home`,
        ENGINE_TLS_CERT_FILE: pki.serverCert,
        ENGINE_TLS_KEY_FILE: pki.serverKey,
        ENGINE_TLS_CLIENT_CA_FILE: pki.ca,
        ENGINE_TLS_CLIENT_PRINCIPALS: 'strongroom-gateway=gateway',
        AUDIT_DENIALS_SECONDS: '1',
      },
    });
  }, 60_000);
  afterAll(async () => {
    await engine?.stop();
    await db?.drop();
  });

  const report: ReportDenialsRequest = {
    denials: [
      {
        who: 'address:203.0.113.9',
        what: 'graphql-ws',
        code: '4403',
        reason: 'the bearer token is invalid',
        count: 7,
        first: new Date('2026-01-01T00:00:00Z'),
        last: new Date('2026-01-01T00:00:09Z'),
      },
    ],
    dropped: 0,
  };

  it("lets the gateway's certificate report denials without a token, and nothing else", async () => {
    const ops = createOpsServiceClient({ address: engine.address, credentials: gatewayCert() });
    const jobs = createJobServiceClient({ address: engine.address, credentials: gatewayCert() });
    try {
      await expect(
        unaryCall<ReportDenialsRequest, ReportDenialsResponse>(ops, ops.reportDenials, report),
      ).resolves.toEqual({});
      await expect(
        unaryCall<ListJobsRequest, ListJobsResponse>(jobs, jobs.listJobs, { pageSize: 1, pageToken: '', jobIds: [] }),
      ).rejects.toMatchObject({ code: status.PERMISSION_DENIED, details: 'ListJobs needs any role' });
    } finally {
      ops.close();
      jobs.close();
    }
  });

  it('identifies nobody by an unmapped certificate, and a token wins over any certificate', async () => {
    const anon = createJobServiceClient({ address: engine.address, credentials: otherCert() });
    const withToken = createJobServiceClient({
      address: engine.address,
      credentials: otherCert(),
      token: testToken('erin', ['viewer']),
    });
    const gatewayAsPerson = createOpsServiceClient({
      address: engine.address,
      credentials: gatewayCert(),
      token: testToken('erin', ['viewer']),
    });
    try {
      await expect(
        unaryCall<ListJobsRequest, ListJobsResponse>(anon, anon.listJobs, { pageSize: 1, pageToken: '', jobIds: [] }),
      ).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
      await expect(
        unaryCall<ListJobsRequest, ListJobsResponse>(withToken, withToken.listJobs, {
          pageSize: 1,
          pageToken: '',
          jobIds: [],
        }),
      ).resolves.toMatchObject({ jobs: [] });
      // a viewer's token on the gateway's connection is the viewer: no report of denials
      await expect(
        unaryCall<ReportDenialsRequest, ReportDenialsResponse>(gatewayAsPerson, gatewayAsPerson.reportDenials, report),
      ).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    } finally {
      anon.close();
      withToken.close();
      gatewayAsPerson.close();
    }
  });

  it("writes the gateway's reported denials to the audit chain with the engine's own", async () => {
    const audit = createAuditServiceClient({
      address: engine.address,
      credentials: otherCert(),
      token: testToken('aud', ['auditor']),
    });
    try {
      let found: { who: string; count: number; via: string }[] = [];
      for (let i = 0; i < 50 && !found.length; i++) {
        const entries = await unaryCall<ListEntriesRequest, ListEntriesResponse>(audit, audit.listEntries, {
          action: 'access:denied',
          pageSize: 100,
          pageToken: '',
          newestFirst: false,
        });
        found = entries.entries
          .flatMap(
            (e) => (JSON.parse(e.detailsJson) as { denials: { who: string; count: number; via: string }[] }).denials,
          )
          .filter((d) => d.who === 'address:203.0.113.9');
        if (!found.length) await new Promise((r) => setTimeout(r, 200));
      }
      expect(found).toEqual([expect.objectContaining({ who: 'address:203.0.113.9', count: 7, via: 'gateway' })]);
    } finally {
      audit.close();
    }
  });
});
