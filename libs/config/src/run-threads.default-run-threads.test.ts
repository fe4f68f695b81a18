import { defaultRunThreads, usableCores } from './run-threads';

describe('defaultRunThreads', () => {
  it('gives a run thread per core beyond two, none on 1 or 2 cores, at most 8', () => {
    expect([1, 2, 3, 4, 8, 10, 64].map((cores) => defaultRunThreads(cores))).toEqual([0, 0, 1, 2, 6, 8, 8]);
  });

  it("counts a container's CPU quota, not the host's CPUs (cgroup v2 and v1)", () => {
    const files = (entries: Record<string, string>) => (f: string) => {
      const text = entries[f];
      if (text === undefined) throw new Error(`ENOENT: ${f}`);
      return text;
    };
    // a pod limited to 2 CPUs on a 64-core node: 2 usable cores, so no run thread
    expect(usableCores(64, files({ '/sys/fs/cgroup/cpu.max': '200000 100000\n' }))).toBe(2);
    expect(defaultRunThreads(usableCores(64, files({ '/sys/fs/cgroup/cpu.max': '200000 100000\n' })))).toBe(0);
    expect(usableCores(64, files({ '/sys/fs/cgroup/cpu.max': '250000 100000\n' }))).toBe(3); // 2.5 CPUs
    expect(usableCores(16, files({ '/sys/fs/cgroup/cpu.max': 'max 100000\n' }))).toBe(16);
    expect(
      usableCores(
        64,
        files({
          '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '400000\n',
          '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n',
        }),
      ),
    ).toBe(4);
    expect(
      usableCores(
        8,
        files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1\n', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n' }),
      ),
    ).toBe(8);
    expect(usableCores(4, files({}))).toBe(4); // no cgroup files: the CPUs it may run on
    expect(usableCores(2, files({ '/sys/fs/cgroup/cpu.max': '800000 100000\n' }))).toBe(2); // a quota above the CPUs
  });
});
