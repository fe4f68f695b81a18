import {
  credentials,
  makeGenericClientConstructor,
  Metadata,
  status,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import {
  AuditServiceService,
  ComplianceServiceService,
  createAuditServiceClient,
  createDeadLetterServiceClient,
  createJobServiceClient,
  DeadLetterServiceService,
  deadlineIn,
  IngestServiceService,
  JobServiceService,
  OpsServiceService,
  type CreateJobRequest,
  type CreateJobResponse,
  type ListEntriesRequest,
  type ListEntriesResponse,
} from '@strongroom/contract';
import { ACTION_ROLES, mayCall, ROLES, RPC_ROLES, signDevToken } from '@strongroom/auth';
import {
  createTestDatabase,
  makeTempDir,
  startEngineProcess,
  testToken,
  unaryCall,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';

type AnyClient = Record<string, (...args: unknown[]) => unknown> & { close(): void };

/**
 * The engine checks identity itself (issue 16): every RPC but health and reflection needs a bearer token it
 * verifies, and the audit actor is the token's subject — an `x-strongroom-actor` header counts for nothing.
 */
describe('engine authentication (real engine)', () => {
  let db: TestDatabase;
  let engine: EngineProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({
      databaseUrl: db.url,
      env: { STRONGROOM_HOME: `${makeTempDir()}/home`, AUDIT_DENIALS_SECONDS: '1' },
    });
  }, 60_000);
  afterAll(async () => {
    await engine?.stop();
    await db?.drop();
  });

  const SERVICES: [string, ServiceDefinition][] = [
    ['JobService', JobServiceService as unknown as ServiceDefinition],
    ['DeadLetterService', DeadLetterServiceService as unknown as ServiceDefinition],
    ['AuditService', AuditServiceService as unknown as ServiceDefinition],
    ['ComplianceService', ComplianceServiceService as unknown as ServiceDefinition],
    ['OpsService', OpsServiceService as unknown as ServiceDefinition],
    ['IngestService', IngestServiceService as unknown as ServiceDefinition],
  ];

  /** Calls every method of every service with an empty request and `md`; returns method → status code. */
  async function callEverything(md: () => Metadata): Promise<Record<string, number>> {
    const codes: Record<string, number> = {};
    for (const [name, def] of SERVICES) {
      const Client = makeGenericClientConstructor(def, name);
      const client = new Client(engine.address, credentials.createInsecure()) as unknown as AnyClient;
      for (const [method, m] of Object.entries(def)) {
        const request = m.requestDeserialize(Buffer.alloc(0));
        codes[`${name}.${method}`] = await new Promise<number>((resolve) => {
          const options = { deadline: deadlineIn(5000) };
          if (m.requestStream) {
            const call = client[method]?.(md(), options) as NodeJS.EventEmitter & { write(x: unknown): void };
            call.on('error', (e: ServiceError) => resolve(e.code));
            call.on('data', () => undefined);
            call.on('end', () => resolve(status.OK));
            call.write(request);
          } else if (m.responseStream) {
            const call = client[method]?.(request, md(), options) as NodeJS.EventEmitter;
            call.on('error', (e: ServiceError) => resolve(e.code));
            call.on('data', () => resolve(status.OK));
            call.on('end', () => resolve(status.OK));
          } else {
            client[method]?.(request, md(), options, (e: ServiceError | null) => resolve(e ? e.code : status.OK));
          }
        });
      }
      client.close();
    }
    return codes;
  }

  it('answers UNAUTHENTICATED to every RPC without credentials, whatever actor header is forged', async () => {
    const codes = await callEverything(() => {
      const md = new Metadata();
      md.set('x-strongroom-actor', 'user:admin');
      return md;
    });
    expect(Object.keys(codes).length).toBeGreaterThanOrEqual(25);
    expect(Object.entries(codes).filter(([, c]) => c !== status.UNAUTHENTICATED)).toEqual([]);
  });

  it('answers UNAUTHENTICATED to a token signed with another secret, an expired one and a non-bearer header', async () => {
    const forged = signDevToken(
      { sub: 'mallory', roles: ['admin'], ttlSeconds: 600 },
      'another-secret-of-at-least-32-characters!!',
    );
    const expired = signDevToken(
      { sub: 'alice', roles: ['admin'], ttlSeconds: 60 },
      'strongroom-test-jwt-secret-of-at-least-32-chars',
      Date.now() - 3_600_000,
    );
    for (const authorization of [`Bearer ${forged}`, `Bearer ${expired}`, `Basic YWxpY2U6c2VjcmV0`]) {
      const codes = await callEverything(() => {
        const md = new Metadata();
        md.set('authorization', authorization);
        return md;
      });
      expect(Object.entries(codes).filter(([, c]) => c !== status.UNAUTHENTICATED)).toEqual([]);
    }
  });

  it('names every RPC of every service in the role matrix (deny by default)', () => {
    const rpcs = SERVICES.flatMap(([, def]) => Object.values(def).map((m) => m.path.split('/').pop() as string));
    expect(rpcs.filter((rpc) => !RPC_ROLES[rpc])).toEqual([]);
    expect(Object.keys(RPC_ROLES).sort()).toEqual([...new Set(rpcs)].sort());
  });

  it('lets each role call exactly the RPCs the role matrix gives it, cell by cell', async () => {
    const wrong: string[] = [];
    for (const role of ROLES) {
      const token = testToken(`${role}-1`, [role]);
      const codes = await callEverything(() => {
        const md = new Metadata();
        md.set('authorization', `Bearer ${token}`);
        return md;
      });
      for (const [name, code] of Object.entries(codes)) {
        const rpc = (SERVICES.find(([n]) => name.startsWith(`${n}.`))?.[1][name.split('.')[1] as string]?.path ?? '')
          .split('/')
          .pop() as string;
        const allowed = mayCall([role], rpc);
        const denied = code === status.PERMISSION_DENIED || code === status.UNAUTHENTICATED;
        if (allowed === denied)
          wrong.push(`${role} ${rpc}: ${allowed ? 'allowed' : 'denied'} by the matrix, got status ${code}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 60_000);

  it('serves health without credentials', async () => {
    const Health = makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');
    const health = new Health(engine.address, credentials.createInsecure()) as unknown as AnyClient;
    const answer = await new Promise<{ status: unknown }>((resolve, reject) =>
      health['check']?.({ service: '' }, { deadline: deadlineIn(5000) }, (e: Error | null, r: { status: unknown }) =>
        e ? reject(e) : resolve(r),
      ),
    );
    health.close();
    expect(answer.status).toBe('SERVING');
  });

  it("records the verified token's subject as the actor, not the actor header", async () => {
    const jobs = createJobServiceClient({ address: engine.address });
    const md = new Metadata();
    md.set('authorization', `Bearer ${testToken('carol', ['admin'])}`);
    md.set('x-strongroom-actor', 'user:somebody-else');
    await unaryCall<CreateJobRequest, CreateJobResponse>(
      jobs,
      jobs.createJob,
      { definition: 'name: actor-check\nsource: { kind: grpc }\n', baseDir: '' },
      10_000,
      md,
    );
    jobs.close();
    const audit = createAuditServiceClient({ address: engine.address, token: engine.token });
    const entries = await unaryCall<ListEntriesRequest, ListEntriesResponse>(audit, audit.listEntries, {
      action: 'job:defined',
      pageSize: 100,
      pageToken: '',
      newestFirst: false,
    });
    audit.close();
    const mine = entries.entries.filter((e) => `${e.subjectJson}${e.detailsJson}`.includes('actor-check'));
    expect(mine.map((e) => e.actor)).toEqual(['user:carol']);
  });

  it('audits denials, counted per kind and written at most once a second (rate-bounded)', async () => {
    const entriesNow = async () => {
      const audit = createAuditServiceClient({ address: engine.address, token: engine.token });
      try {
        return (
          await unaryCall<ListEntriesRequest, ListEntriesResponse>(audit, audit.listEntries, {
            action: 'access:denied',
            pageSize: 500,
            pageToken: '',
            newestFirst: false,
          })
        ).entries;
      } finally {
        audit.close();
      }
    };
    const before = new Set((await entriesNow()).map((e) => e.seq));
    const started = Date.now();
    const jobs = createJobServiceClient({ address: engine.address, token: 'not-a-jwt' });
    const viewerJobs = createJobServiceClient({ address: engine.address, token: testToken('vera', ['viewer']) });
    for (let i = 0; i < 50; i++)
      await expect(unaryCall(jobs, jobs.listJobs, { pageSize: 1, pageToken: '', jobIds: [] })).rejects.toMatchObject({
        code: status.UNAUTHENTICATED,
      });
    for (let i = 0; i < 3; i++)
      await expect(
        unaryCall(viewerJobs, viewerJobs.createJob, { definition: 'name: x\nsource: { kind: grpc }\n', baseDir: '' }),
      ).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    jobs.close();
    viewerJobs.close();
    type Counted = { who: string; what: string; code: string; count: number; via: string };
    let denials: Counted[] = [];
    let fresh: ListEntriesResponse['entries'] = [];
    for (let i = 0; i < 50; i++) {
      fresh = (await entriesNow()).filter((e) => !before.has(e.seq));
      denials = fresh.flatMap((e) => (JSON.parse(e.detailsJson) as { denials: Counted[] }).denials);
      // waits for exactly the denials asserted below (an earlier test's denial may be written after `before`)
      const sum = (what: string, code: string, who: string) =>
        denials.filter((d) => d.what === what && d.code === code && d.who === who).reduce((n, d) => n + d.count, 0);
      if (
        sum('ListJobs', 'UNAUTHENTICATED', 'address:127.0.0.1') >= 50 &&
        sum('CreateJob', 'PERMISSION_DENIED', 'user:vera') >= 3
      )
        break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const elapsedS = (Date.now() - started) / 1000;
    expect(fresh.length).toBeLessThanOrEqual(Math.ceil(elapsedS) + 1); // 53 denials, a handful of entries
    expect(fresh.every((e) => e.actor === 'service:engine')).toBe(true);
    const sum = (pred: (d: Counted) => boolean) => denials.filter(pred).reduce((n, d) => n + d.count, 0);
    expect(sum((d) => d.what === 'ListJobs' && d.code === 'UNAUTHENTICATED' && d.who === 'address:127.0.0.1')).toBe(50);
    expect(sum((d) => d.what === 'CreateJob' && d.code === 'PERMISSION_DENIED' && d.who === 'user:vera')).toBe(3);
    expect(denials.every((d) => d.via === 'engine')).toBe(true);
  });

  it('keeps changes of retention and classification for auditors and admins, cell by cell (rules inside an RPC)', async () => {
    const define = async (token: string, retentionDays: number, classification = 'CONFIDENTIAL') => {
      const jobs = createJobServiceClient({ address: engine.address, token });
      try {
        await unaryCall<CreateJobRequest, CreateJobResponse>(jobs, jobs.createJob, {
          definition: `name: kept-${'x'}\nsource: { kind: grpc }\ncompliance: { retentionDays: ${retentionDays}, dataClassification: ${classification} }\n`,
          baseDir: '',
        });
        return 'OK';
      } catch (err) {
        return (err as ServiceError).details;
      }
    };
    // an operator defines the job, with its retention, and may change everything else
    expect(await define(testToken('olga', ['operator']), 3650)).toBe('OK');
    expect(await define(testToken('olga', ['operator']), 30)).toBe(
      "changing job kept-x's retention 3650 → 30 days needs one of the roles auditor, admin",
    );
    expect(await define(testToken('olga', ['operator']), 3650, 'PUBLIC')).toBe(
      "changing job kept-x's classification CONFIDENTIAL → PUBLIC needs one of the roles auditor, admin",
    );
    expect(await define(testToken('ann', ['admin']), 2000)).toBe('OK');
    expect(await define(testToken('oda', ['operator', 'auditor']), 2500, 'RESTRICTED')).toBe('OK');
    // every other compliance setting is a control too: an operator alone can neither weaken nor change it
    const compliant = `name: kept-y\nsource: { kind: grpc }\ncompliance: { frameworks: [PCI_DSS, AML, SOX], classification: { account: RESTRICTED } }\n`;
    const defineY = async (token: string, definition: string) => {
      const jobs = createJobServiceClient({ address: engine.address, token });
      try {
        await unaryCall<CreateJobRequest, CreateJobResponse>(jobs, jobs.createJob, { definition, baseDir: '' });
        return 'OK';
      } catch (err) {
        return (err as ServiceError).details;
      } finally {
        jobs.close();
      }
    };
    expect(await defineY(testToken('olga', ['operator']), compliant)).toBe('OK');
    for (const [change, said] of [
      [
        'frameworks: [PCI_DSS, AML, SOX], classification: {}',
        'compliance.classification {"account":"RESTRICTED"} → {}',
      ],
      [
        'frameworks: [PCI_DSS, SOX], classification: { account: RESTRICTED }',
        'compliance.frameworks ["AML","PCI_DSS","SOX"] → ["PCI_DSS","SOX"]',
      ],
      [
        'frameworks: [PCI_DSS, AML, SOX], classification: { account: RESTRICTED }, sanctions: off',
        'compliance.sanctions "required" → "off"',
      ],
      [
        'frameworks: [PCI_DSS, AML, SOX], classification: { account: RESTRICTED }, notCardData: [reference]',
        'compliance.notCardData [] → ["reference"]',
      ],
    ] as const) {
      const definition = `name: kept-y\nsource: { kind: grpc }\ncompliance: { ${change} }\n`;
      expect(await defineY(testToken('olga', ['operator']), definition)).toBe(
        `changing job kept-y's ${said} needs one of the roles auditor, admin`,
      );
    }
    // the same definition again changes nothing, nor does listing the frameworks in another order, and other
    // keys stay the operator's
    expect(await defineY(testToken('olga', ['operator']), compliant)).toBe('OK');
    expect(
      await defineY(testToken('olga', ['operator']), compliant.replace('[PCI_DSS, AML, SOX]', '[SOX, AML, PCI_DSS]')),
    ).toBe('OK');
    expect(
      await defineY(
        testToken('olga', ['operator']),
        compliant.replace('{ kind: grpc }', '{ kind: grpc, system: core }'),
      ),
    ).toBe('OK');
    expect(
      await defineY(
        testToken('ann', ['admin']),
        compliant.replace('classification: { account: RESTRICTED }', 'classification: {}'),
      ),
    ).toBe('OK');
    // every role against the rule: the RPC's roles and the rule's roles must both hold
    for (const role of ROLES) {
      const may =
        mayCall([role], 'CreateJob') && ACTION_ROLES['CreateJob.changeRetentionOrClassification'].includes(role);
      const answer = await define(testToken(`r-${role}`, [role]), role === 'admin' ? 2600 : 2700);
      expect(`${role}: ${answer === 'OK'}`).toBe(`${role}: ${may}`);
      if (may) await define(testToken('ann', ['admin']), 2500, 'RESTRICTED'); // back for the next role
    }
  });

  it('gives replays with corrections their own cell of the matrix', async () => {
    const dlq = (token: string) => createDeadLetterServiceClient({ address: engine.address, token });
    for (const role of ROLES) {
      const c = dlq(testToken(`c-${role}`, [role]));
      let code: number | undefined;
      try {
        await unaryCall(c, c.replayDeadLetters, {
          ids: ['1'],
          runId: '',
          corrections: [{ id: '1', rawRecord: 'a,b' }],
          reason: '',
        });
        code = status.OK;
      } catch (err) {
        code = (err as ServiceError).code;
      }
      c.close();
      const may = mayCall([role], 'ReplayDeadLetters') && ACTION_ROLES['ReplayDeadLetters.corrections'].includes(role);
      expect(`${role}: ${code !== status.PERMISSION_DENIED}`).toBe(`${role}: ${may}`);
    }
  });
});
