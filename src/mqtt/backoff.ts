/**
 * Capped exponential backoff with jitter for reconnects and retries: gateways
 * that lose the same broker together must not all come back in the same
 * second, and hours of outage must not become a tight loop.
 */

export interface BackoffOptions {
  /** First delay, ms. */
  readonly initialMs: number;
  /** Largest delay, ms; jitter never takes a delay above it. */
  readonly maxMs: number;
  /** Random spread as a fraction: 0.3 = each delay is its base ±30 %. */
  readonly jitter: number;
  /** Uniform in [0, 1); default Math.random. */
  readonly random?: () => number;
}

/**
 * Delay before retry `attempt` (0 = the first retry), ms: initial × 2^attempt
 * capped at max, then spread by ±jitter and capped again.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const base = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.max(0, attempt));
  const r = (opts.random ?? Math.random)();
  const spread = base * opts.jitter * (2 * r - 1);
  return Math.round(Math.min(opts.maxMs, Math.max(0, base + spread)));
}

/** Counts consecutive failures and hands out the matching delays. */
export class Backoff {
  private failures = 0;

  constructor(private readonly opts: BackoffOptions) {}

  /** Consecutive failures so far (since the last reset). */
  get attempt(): number {
    return this.failures;
  }

  /** The delay before the next retry; counts one more failure. */
  next(): number {
    return backoffDelay(this.failures++, this.opts);
  }

  reset(): void {
    this.failures = 0;
  }
}
