/**
 * One run of a frame source under a stall watchdog, and a bounded shutdown.
 *
 * The watchdog covers the whole run, probe and connect included: FfmpegFrameSource's
 * own watchdog starts only once ffmpeg is spawned, after an ffprobe that waits up
 * to 15 s on a camera that accepts the connection and never answers.
 */
import type { Frame } from '../core/types.js';
import { within } from './clock.js';
import type { FrameSource } from './source.js';

/** Why a run is over. */
export type RunEnd =
  /** frames() returned by itself: for a live camera, the stream went away. */
  | { kind: 'ended' }
  /** frames() threw. */
  | { kind: 'failed'; error: unknown }
  /** No frame for the stall timeout (the watchdog ended the run). */
  | { kind: 'stalled' }
  /** close() was called. */
  | { kind: 'stopped' };

/** Longest wait for source.stop(), ms: above ffmpeg's q -> SIGTERM -> SIGKILL ladder (2 s steps). */
const STOP_WAIT_MS = 6000;
/**
 * After stop() has returned, how long the source may take to end its frames(), ms.
 * FfmpegFrameSource cannot interrupt its ffprobe: past this the run is abandoned
 * (its ffprobe dies at its own 15 s timeout, and no ffmpeg is started after it).
 */
const SETTLE_WAIT_MS = 1000;

type Settled = { ok: true; result: IteratorResult<Frame> } | { ok: false; error: unknown };

export class SourceRun {
  readonly source: FrameSource;
  readonly #it: AsyncIterator<Frame>;
  readonly #stallMs: number;
  #pending: Promise<Settled> | undefined;
  #end: RunEnd | undefined;
  #silentSince = performance.now();
  #interrupt: (() => void) | undefined;
  #closing: Promise<boolean> | undefined;

  /** @param stallMs the run ends as 'stalled' when no frame arrives for this long (from the start, then from each frame). */
  constructor(source: FrameSource, stallMs: number) {
    this.source = source;
    this.#it = source.frames()[Symbol.asyncIterator]();
    this.#stallMs = stallMs;
  }

  /** Set once the run is over. */
  get end(): RunEnd | undefined {
    return this.#end;
  }

  /** Milliseconds since the run started or its last frame (monotonic clock). */
  get silentMs(): number {
    return performance.now() - this.#silentSince;
  }

  /** The next frame; undefined once the run is over (then `end` says why). */
  async next(): Promise<Frame | undefined> {
    if (this.#end) return undefined;
    this.#pending ??= settle(this.#it.next());
    const outcome = await this.#race(this.#pending, this.#silentSince + this.#stallMs - performance.now());
    if (outcome === 'stall') this.#end ??= { kind: 'stalled' };
    if (typeof outcome === 'string') return undefined;
    this.#pending = undefined;
    if (!outcome.ok) this.#end ??= { kind: 'failed', error: outcome.error };
    else if (outcome.result.done) this.#end ??= { kind: 'ended' };
    else if (!this.#end) {
      this.#silentSince = performance.now();
      return outcome.result.value;
    }
    return undefined;
  }

  /**
   * Ends the run: stops the source and waits, bounded, for its frames() to end.
   * Idempotent. @returns false when the source did not let go in time and was abandoned.
   */
  close(): Promise<boolean> {
    this.#end ??= { kind: 'stopped' };
    this.#interrupt?.();
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<boolean> {
    const stopped = await within(this.source.stop().then(() => true, () => true), STOP_WAIT_MS);
    // Suspended at a yield (no next pending): return() runs the source's finally blocks.
    const pending = this.#pending ?? this.#returnIterator();
    this.#pending = undefined;
    const settled = await within(pending, SETTLE_WAIT_MS);
    if (settled === undefined) {
      // Abandoned; should it still produce a frame later, close its generator then.
      void pending.then((s) => (s.ok && !s.result.done ? this.#returnIterator() : undefined));
      return false;
    }
    if (settled.ok && !settled.result.done) await within(this.#returnIterator(), SETTLE_WAIT_MS);
    return stopped === true;
  }

  #returnIterator(): Promise<Settled> {
    return settle(this.#it.return?.() ?? Promise.resolve({ done: true, value: undefined }));
  }

  #race(p: Promise<Settled>, waitMs: number): Promise<Settled | 'stall' | 'interrupted'> {
    let timer: NodeJS.Timeout | undefined;
    return new Promise<Settled | 'stall' | 'interrupted'>((resolve) => {
      timer = setTimeout(() => resolve('stall'), Math.max(0, waitMs));
      this.#interrupt = () => resolve('interrupted');
      void p.then(resolve);
    }).finally(() => {
      clearTimeout(timer);
      this.#interrupt = undefined;
    });
  }
}

function settle(p: Promise<IteratorResult<Frame>>): Promise<Settled> {
  return p.then(
    (result) => ({ ok: true as const, result }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}
