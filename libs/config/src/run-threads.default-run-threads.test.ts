import { defaultRunThreads } from './run-threads';

describe('defaultRunThreads', () => {
  it('gives a run thread per core beyond two, none on 1 or 2 cores, at most 8', () => {
    expect([1, 2, 3, 4, 8, 10, 64].map((cores) => defaultRunThreads(cores))).toEqual([0, 0, 1, 2, 6, 8, 8]);
  });
});
