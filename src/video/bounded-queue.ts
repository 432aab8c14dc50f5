/**
 * A fixed-capacity FIFO between a producer (ffmpeg's frame reader) and a
 * consumer (the pipeline). Live video wants the newest frame, so a push into
 * a full queue evicts the OLDEST item and counts it in `dropped`; a producer
 * that must not lose items (a file being analysed) awaits `waitForSpace()`
 * before each push instead.
 *
 * `undefined` marks "closed and empty", so items may not be undefined or null.
 */
export class BoundedQueue<T extends NonNullable<unknown>> implements AsyncIterable<T> {
  /** Maximum number of items held (integer >= 1). For frames: a few (default 4 in FfmpegFrameSource). */
  readonly capacity: number;
  readonly #ring: (T | undefined)[];
  #head = 0;
  #size = 0;
  #dropped = 0;
  #closed = false;
  readonly #takers: ((item: T | undefined) => void)[] = [];
  readonly #spaceWaiters: (() => void)[] = [];

  /** @param capacity maximum number of items held; an integer >= 1. */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`BoundedQueue capacity must be an integer >= 1, got ${capacity}`);
    }
    this.capacity = capacity;
    this.#ring = new Array<T | undefined>(capacity);
  }

  /** Items currently queued. */
  get size(): number {
    return this.#size;
  }

  /** Items evicted so far because a push found the queue full. */
  get dropped(): number {
    return this.#dropped;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Queues `item` (handing it straight to a waiting `shift()` if there is one).
   * When full, the oldest item is evicted and counted in `dropped`.
   * @returns true when the item was queued; false when the queue is closed and the item was discarded.
   */
  push(item: T): boolean {
    if (this.#closed) return false;
    const taker = this.#takers.shift();
    if (taker) {
      taker(item);
      return true;
    }
    if (this.#size === this.capacity) {
      this.#removeHead();
      this.#dropped++;
    }
    this.#ring[(this.#head + this.#size) % this.capacity] = item;
    this.#size++;
    return true;
  }

  /** The oldest item; waits for one. Resolves undefined once the queue is closed and empty. */
  async shift(): Promise<T | undefined> {
    if (this.#size > 0) {
      const item = this.#removeHead();
      this.#wakeSpaceWaiters();
      return item;
    }
    if (this.#closed) return undefined;
    return new Promise<T | undefined>((resolve) => this.#takers.push(resolve));
  }

  /** Resolves when a push would not evict anything (size < capacity), or when the queue is closed. */
  async waitForSpace(): Promise<void> {
    if (this.#size < this.capacity || this.#closed) return;
    return new Promise<void>((resolve) => this.#spaceWaiters.push(resolve));
  }

  /** No more pushes are accepted; queued items can still be shifted; waiters are released. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const taker of this.#takers.splice(0)) taker(undefined);
    this.#wakeSpaceWaiters();
  }

  /** Yields items until the queue is closed and drained. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      const item = await this.shift();
      if (item === undefined) return;
      yield item;
    }
  }

  #removeHead(): T {
    const item = this.#ring[this.#head] as T;
    this.#ring[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.capacity;
    this.#size--;
    return item;
  }

  #wakeSpaceWaiters(): void {
    for (const wake of this.#spaceWaiters.splice(0)) wake();
  }
}
