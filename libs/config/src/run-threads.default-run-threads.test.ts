import { defaultRunThreads } from './run-threads';

describe('defaultRunThreads', () => {
  it('gives one run thread per core beside the main thread, none on one core, at most 8', () => {
    expect([1, 2, 3, 4, 8, 9, 64].map((cores) => defaultRunThreads(cores))).toEqual([0, 1, 2, 3, 7, 8, 8]);
  });
});
