import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, type BackoffOptions } from '../../src/camera/backoff.js';

const OPTS: BackoffOptions = { initialS: 1, maxS: 30, jitter: 0.2, healthyAfterS: 30 };

/** A deterministic random: the given values in turn, repeated. */
function sequence(...values: number[]): () => number {
  let k = 0;
  return () => values[k++ % values.length] as number;
}

function delays(b: Backoff, n: number, streamedS = 0): number[] {
  return Array.from({ length: n }, () => b.delayAfter(streamedS));
}

describe('Backoff', () => {
  it('doubles from initialS and stops at maxS (random 0.5 = no jitter)', () => {
    assert.deepEqual(delays(new Backoff(OPTS, () => 0.5), 8), [1, 2, 4, 8, 16, 30, 30, 30]);
  });

  it('keeps every delay within ±jitter of its base, and never above maxS', () => {
    const b = new Backoff(OPTS, Math.random);
    for (let k = 0; k < 200; k++) {
      const base = Math.min(30, 2 ** k);
      const d = b.delayAfter(0);
      assert.ok(d >= base * 0.8 - 1e-9 && d <= Math.min(30, base * 1.2) + 1e-9, `delay ${k} = ${d}, base ${base}`);
    }
  });

  it('reaches both jitter bounds at random 0 and 1', () => {
    assert.deepEqual(delays(new Backoff(OPTS, sequence(0, 1)), 6), [0.8, 2.4, 3.2, 9.6, 12.8, 30]);
    // At the cap the upward half is clipped to maxS; the downward half still spreads cameras out.
    const b = new Backoff({ ...OPTS, maxS: 4 }, sequence(0));
    assert.deepEqual(delays(b, 5), [0.8, 1.6, 3.2, 3.2, 3.2]);
  });

  it('resets to initialS after a run that streamed healthyAfterS, not after a shorter one', () => {
    const b = new Backoff(OPTS, () => 0.5);
    assert.deepEqual(delays(b, 3), [1, 2, 4]);
    assert.equal(b.delayAfter(29.9), 8);
    assert.equal(b.delayAfter(30), 1);
    assert.equal(b.failures, 1);
    assert.equal(b.delayAfter(0), 2);
    b.reset();
    assert.equal(b.delayAfter(0), 1);
  });

  it('stays finite after very many failures', () => {
    const b = new Backoff(OPTS, () => 0.5);
    for (let k = 0; k < 5000; k++) b.delayAfter(0);
    assert.equal(b.delayAfter(0), 30);
  });

  it('rejects impossible options', () => {
    assert.throws(() => new Backoff({ ...OPTS, initialS: 0 }), RangeError);
    assert.throws(() => new Backoff({ ...OPTS, maxS: 0.5 }), RangeError);
    assert.throws(() => new Backoff({ ...OPTS, jitter: 1.5 }), RangeError);
  });
});
