import { AdaptiveBatchSize } from './adaptive-batch';

describe('AdaptiveBatchSize.observe', () => {
  it('grows toward the target when commits are fast and shrinks when slow, within bounds', () => {
    const b = new AdaptiveBatchSize(500, 50_000, 250);
    expect(b.current).toBe(500);
    b.observe(500, 50); // 5× faster than target → at most doubles
    expect(b.current).toBe(1000);
    for (let i = 0; i < 20; i++) b.observe(b.current, 10);
    expect(b.current).toBe(50_000);
    b.observe(50_000, 1000); // 4× slower → halves
    expect(b.current).toBe(25_000);
    for (let i = 0; i < 20; i++) b.observe(b.current, 5000);
    expect(b.current).toBe(500);
  });

  it('ignores short tail batches', () => {
    const b = new AdaptiveBatchSize(100, 1000, 250, 800);
    b.observe(10, 5000);
    expect(b.current).toBe(800);
  });
});
