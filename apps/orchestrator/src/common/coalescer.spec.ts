import { describe, expect, it } from '@jest/globals';
import { Coalescer } from './coalescer.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('Coalescer', () => {
  it('handles a lone item at once and gathers the items that arrive while a group is in flight', async () => {
    const groups: number[][] = [];
    let release!: () => void;
    const c = new Coalescer<number, number>(
      async (group) => {
        groups.push(group.map((p) => p.item));
        if (groups.length === 1) await new Promise<void>((r) => (release = r));
        for (const p of group) p.resolve(p.item * 10);
      },
      { maxInFlight: 1, maxGroup: 100 },
    );
    const first = c.submit(1);
    await tick();
    expect(groups).toEqual([[1]]);
    const rest = [2, 3, 4].map((i) => c.submit(i));
    await tick();
    expect(groups).toHaveLength(1); // waiting behind the group in flight
    release();
    await expect(Promise.all([first, ...rest])).resolves.toEqual([10, 20, 30, 40]);
    expect(groups).toEqual([[1], [2, 3, 4]]);
    await c.drained();
    expect(c.size).toBe(0);
  });

  it('caps a group at maxGroup and answers every item on its own', async () => {
    const sizes: number[] = [];
    const c = new Coalescer<number, string>(
      async (group) => {
        sizes.push(group.length);
        for (const p of group) {
          if (p.item % 2) p.reject(new Error(`odd ${p.item}`));
          else p.resolve(`even ${p.item}`);
        }
      },
      { maxInFlight: 1, maxGroup: 3 },
    );
    const results = await Promise.allSettled(Array.from({ length: 7 }, (_, i) => c.submit(i)));
    expect(sizes.every((n) => n <= 3)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(7);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([
      'even 0',
      'odd 1',
      'even 2',
      'odd 3',
      'even 4',
      'odd 5',
      'even 6',
    ]);
  });

  it('rejects the items a failing handler left unanswered, keeps the ones it answered, and goes on', async () => {
    const c = new Coalescer<number, number>(
      async (group) => {
        const items = group.map((p) => p.item);
        if (items.includes(1)) {
          group.find((p) => p.item === 2)?.resolve(2);
          throw new Error('database away');
        }
        for (const p of group) p.resolve(p.item);
      },
      { maxInFlight: 1, maxGroup: 2 },
    );
    // 0 goes alone (nothing in flight); 1 and 2 wait and form the next group.
    const settled = await Promise.allSettled([c.submit(0), c.submit(1), c.submit(2)]);
    expect(settled[0]).toEqual({ status: 'fulfilled', value: 0 });
    expect(settled[1]).toMatchObject({ status: 'rejected', reason: new Error('database away') });
    expect(settled[2]).toEqual({ status: 'fulfilled', value: 2 });
    await expect(c.submit(3)).resolves.toBe(3);
  });

  it('rejects an item the handler forgot, naming the mistake', async () => {
    const c = new Coalescer<number, number>(async () => undefined, { maxInFlight: 1, maxGroup: 10 });
    await expect(c.submit(1)).rejects.toThrow(/left a submission unanswered/);
  });
});
