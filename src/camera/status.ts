/** What a camera supervisor reports about itself: its state, rates, counters and last error. */
import { isAgentError, type ErrorCode } from '../core/errors.js';
import { redactUrl } from '../video/redact.js';

/**
 * starting: a source is being opened (probe, connect) and has not delivered a frame yet;
 * streaming: the current run has delivered frames; backoff: waiting to restart;
 * stopped: not running (before frames() or after it ended).
 */
export type CameraState = 'starting' | 'streaming' | 'backoff' | 'stopped';

export interface StatusError {
  code: ErrorCode;
  /** One line, credentials redacted. */
  message: string;
}

/** Plain JSON (safe to publish over MQTT/HTTP): never holds a credential. */
export interface CameraStatus {
  name: string;
  state: CameraState;
  /** Frames per second received over the last ~5 s. */
  fpsIn: number;
  /** Frames received from the sources, summed over runs. */
  framesIn: number;
  /** Of those, frames the sources dropped because the consumer lagged, summed over runs. */
  framesDropped: number;
  /** Restarts after the first start. */
  reconnects: number;
  /** Restarts caused by no frame for stallTimeoutS. */
  stalls: number;
  /** ISO time of the last frame received; null before the first. */
  lastFrameAt: string | null;
  lastError: StatusError | null;
  /** Seconds until the next start while in backoff, else null. */
  nextRetryInS: number | null;
}

/** The coded, redacted summary of a failure for status and logs. */
export function statusError(e: unknown): StatusError {
  const message = redactUrl(e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
  return { code: isAgentError(e) ? e.code : 'FFMPEG_FAILED', message };
}

/** Events per second over a sliding window, from the times they happened. */
export class RateMeter {
  /** Sliding window length, ms. */
  readonly windowMs: number;
  readonly #times: number[] = [];
  readonly #sinceMs: number;

  /** @param sinceMs when counting began: until a full window has passed, the rate is over the time so far. */
  constructor(windowMs: number, sinceMs: number) {
    this.windowMs = windowMs;
    this.#sinceMs = sinceMs;
  }

  tick(nowMs: number): void {
    this.#times.push(nowMs);
    this.#trim(nowMs);
  }

  rate(nowMs: number): number {
    this.#trim(nowMs);
    const spanMs = Math.min(this.windowMs, nowMs - this.#sinceMs);
    return spanMs > 0 ? (this.#times.length * 1000) / spanMs : 0;
  }

  #trim(nowMs: number): void {
    let drop = 0;
    while (drop < this.#times.length && (this.#times[drop] ?? 0) <= nowMs - this.windowMs) drop++;
    if (drop > 0) this.#times.splice(0, drop);
  }
}
