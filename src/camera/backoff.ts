/**
 * Restart delays of a failing camera: capped exponential backoff with jitter.
 * Pure (random injected), so the schedule is unit-tested without processes.
 */

export interface BackoffOptions {
  /** First delay after a failure, seconds; doubles with each further failure. */
  initialS: number;
  /** Largest delay, seconds (also caps the jittered delay). */
  maxS: number;
  /** Random spread of each delay as a fraction: 0.2 = ±20 %. 0..1. */
  jitter: number;
  /** A run that streamed at least this long counts as healthy and resets the schedule, seconds. */
  healthyAfterS: number;
}

export class Backoff {
  readonly #o: BackoffOptions;
  readonly #random: () => number;
  #failures = 0;

  /** @param random uniform in [0, 1); Math.random by default. */
  constructor(options: BackoffOptions, random: () => number = Math.random) {
    if (!(options.initialS > 0) || !(options.maxS >= options.initialS)) {
      throw new RangeError(`backoff needs 0 < initialS <= maxS, got ${options.initialS} and ${options.maxS}`);
    }
    if (!(options.jitter >= 0 && options.jitter <= 1)) throw new RangeError(`jitter must be 0..1, got ${options.jitter}`);
    this.#o = options;
    this.#random = random;
  }

  /** Consecutive failures since the last healthy run (or reset). */
  get failures(): number {
    return this.#failures;
  }

  /**
   * The delay before the next start, seconds, after a run that streamed for
   * `streamedS` seconds (0 when it never delivered a frame). A healthy run
   * resets the schedule first, so a camera that drops once a day is back in
   * `initialS`, while one that flaps every few seconds keeps backing off.
   */
  delayAfter(streamedS: number): number {
    if (streamedS >= this.#o.healthyAfterS) this.#failures = 0;
    const { initialS, maxS, jitter } = this.#o;
    // 2^failures overflows to Infinity long after the cap; min() keeps it finite.
    const base = Math.min(maxS, initialS * 2 ** this.#failures);
    this.#failures++;
    const spread = 1 + jitter * (2 * this.#random() - 1);
    return Math.min(maxS, base * spread);
  }

  reset(): void {
    this.#failures = 0;
  }
}
