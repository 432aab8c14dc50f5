import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedQueue } from '../../src/video/bounded-queue.js';

describe('BoundedQueue', () => {
  it('rejects a capacity that is not an integer >= 1', () => {
    assert.throws(() => new BoundedQueue<number>(0), RangeError);
    assert.throws(() => new BoundedQueue<number>(1.5), RangeError);
  });

  it('hands items out in FIFO order and reports its size', async () => {
    const q = new BoundedQueue<number>(3);
    q.push(1);
    q.push(2);
    assert.equal(q.size, 2);
    assert.equal(await q.shift(), 1);
    assert.equal(await q.shift(), 2);
    assert.equal(q.size, 0);
  });

  it('drops the oldest item when full and counts it', async () => {
    const q = new BoundedQueue<number>(2);
    for (const n of [1, 2, 3, 4]) assert.equal(q.push(n), true);
    assert.equal(q.dropped, 2);
    assert.equal(q.size, 2);
    assert.equal(await q.shift(), 3);
    assert.equal(await q.shift(), 4);
  });

  it('keeps order across ring wrap-around', async () => {
    const q = new BoundedQueue<number>(3);
    const out: number[] = [];
    for (let n = 0; n < 10; n++) {
      q.push(n);
      if (n % 2 === 1) out.push((await q.shift()) as number);
    }
    while (q.size > 0) out.push((await q.shift()) as number);
    // Pushes at 5, 7 and 9 found the queue full and evicted 2, 4 and 6.
    assert.deepEqual(out, [0, 1, 3, 5, 7, 8, 9]);
    assert.equal(q.dropped, 3);
  });

  it('shift waits until an item is pushed, and the item skips the buffer', async () => {
    const q = new BoundedQueue<string>(1);
    const pending = q.shift();
    q.push('a');
    assert.equal(q.size, 0);
    assert.equal(await pending, 'a');
    assert.equal(q.dropped, 0);
  });

  it('close releases waiting shifts with undefined and refuses pushes', async () => {
    const q = new BoundedQueue<number>(2);
    const pending = q.shift();
    q.close();
    assert.equal(await pending, undefined);
    assert.equal(q.push(1), false);
    assert.equal(q.size, 0);
    assert.equal(q.closed, true);
  });

  it('still delivers items queued before close, then undefined', async () => {
    const q = new BoundedQueue<number>(2);
    q.push(1);
    q.close();
    assert.equal(await q.shift(), 1);
    assert.equal(await q.shift(), undefined);
  });

  it('iterates asynchronously until closed and drained', async () => {
    const q = new BoundedQueue<number>(4);
    q.push(1);
    q.push(2);
    setTimeout(() => {
      q.push(3);
      q.close();
    }, 5);
    const seen: number[] = [];
    for await (const n of q) seen.push(n);
    assert.deepEqual(seen, [1, 2, 3]);
  });

  it('waitForSpace resolves at once when not full, after a shift when full', async () => {
    const q = new BoundedQueue<number>(1);
    await q.waitForSpace();
    q.push(1);
    let released = false;
    const waiting = q.waitForSpace().then(() => (released = true));
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(released, false);
    await q.shift();
    await waiting;
    assert.equal(released, true);
  });

  it('waitForSpace is released by close', async () => {
    const q = new BoundedQueue<number>(1);
    q.push(1);
    const waiting = q.waitForSpace();
    q.close();
    await waiting;
  });
});
