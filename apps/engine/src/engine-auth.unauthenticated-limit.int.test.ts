import { status } from '@grpc/grpc-js';
import { createJobServiceClient, type ListJobsRequest, type ListJobsResponse } from '@strongroom/contract';
import {
  createTestDatabase,
  makeTempDir,
  startEngineProcess,
  testToken,
  unaryCall,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';

/**
 * Calls without a valid credential are limited per client address (ENGINE_UNAUTHENTICATED_RATE_LIMIT_PER_MINUTE):
 * beyond the limit the address is answered RESOURCE_EXHAUSTED before its token is even verified — a
 * correct guess gets no different answer — until the bucket refills. Before, every guess was verified and
 * answered, as fast as the caller could send them.
 */
describe('the limit of calls without a valid credential (real engine)', () => {
  const dir = makeTempDir();
  let db: TestDatabase;
  let engine: EngineProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({
      databaseUrl: db.url,
      env: { STRONGROOM_HOME: `${dir}/home`, ENGINE_UNAUTHENTICATED_RATE_LIMIT_PER_MINUTE: '60' },
    });
  }, 60_000);
  afterAll(async () => {
    await engine?.stop();
    await db?.drop();
  });

  const listJobs = async (token: string) => {
    const client = createJobServiceClient({ address: engine.address, token });
    try {
      await unaryCall<ListJobsRequest, ListJobsResponse>(client, client.listJobs, {
        pageSize: 1,
        pageToken: '',
        jobIds: [],
      });
      return 'OK';
    } catch (err) {
      const e = err as { code: number; details: string };
      return `${status[e.code]}: ${e.details}`;
    } finally {
      client.close();
    }
  };

  it('answers RESOURCE_EXHAUSTED to an address past its limit, a valid token included, until the bucket refills', async () => {
    const valid = testToken('vera', ['viewer']);
    expect(await listJobs(valid)).toBe('OK'); // valid calls take nothing from the bucket
    const answers: string[] = [];
    for (let i = 0; i < 61; i++) answers.push(await listJobs(`guess-${i}`));
    expect(answers.slice(0, 55).every((a) => a.startsWith('UNAUTHENTICATED'))).toBe(true);
    expect(answers[60]).toMatch(
      /^RESOURCE_EXHAUSTED: too many calls without a valid credential from 127\.0\.0\.1; retry in \d+ s$/,
    );
    // the address is not heard further: a right guess gets the same answer as a wrong one
    expect(await listJobs(valid)).toMatch(/^RESOURCE_EXHAUSTED/);
    // one call a second comes back
    await new Promise((r) => setTimeout(r, 1500));
    expect(await listJobs(valid)).toBe('OK');
  }, 60_000);
});
