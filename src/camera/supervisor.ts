/**
 * Keeps one camera streaming: a frame source per run, restarted after it ends,
 * fails or stalls, with capped exponential backoff and jitter; frames come out
 * as one endless, monotonic stream; status() says what is going on, without
 * credentials.
 *
 * Why: "no frames received" loops are among Frigate users' top complaints
 * (GUIDE.md); a camera must come back by itself, and cameras that fail
 * together must not retry together (the jitter).
 */
import type { SupervisorConfig } from '../config/schema.js';
import { AgentError, isAgentError } from '../core/errors.js';
import type { Frame } from '../core/types.js';
import { silentLogger, type Logger } from '../video/logger.js';
import { probeInput } from '../video/probe.js';
import { redactUrl } from '../video/redact.js';
import { Backoff } from './backoff.js';
import { systemClock, within, type Clock } from './clock.js';
import { detectSize } from './detect-size.js';
import { SourceRun } from './source-run.js';
import { ffmpegSourceFactory, type FrameSourceFactory } from './source.js';
import { RateMeter, statusError, type CameraState, type CameraStatus, type StatusError } from './status.js';

/** The camera settings the supervisor uses; a CameraConfig from the schema fits. */
export interface SupervisedCamera {
  name: string;
  /** rtsp:// URL (or a file, which then loops); may hold credentials. */
  input?: string | undefined;
  /** Frame size (pixels; absent: the input's own, capped at 1280 wide) and rate (frames/s). */
  detect: { width?: number | undefined; height?: number | undefined; fps: number };
  rtspTransport: 'tcp' | 'udp';
  /** Seconds without a frame before the run is restarted (a stall). */
  stallTimeoutS: number;
}

export interface CameraSupervisorOptions {
  camera: SupervisedCamera;
  supervisor: SupervisorConfig;
  /** pino-like logger; the camera name is added to every line. Default silent. */
  logger?: Logger;
  /** Makes the source of each run. Default: FfmpegFrameSource, live. */
  sourceFactory?: FrameSourceFactory;
  /** Input size when detect width/height are not both set; probed once. Default ffprobe. */
  probe?: (input: string, o: { rtspTransport: 'tcp' | 'udp' }) => Promise<{ width: number; height: number }>;
  /** Wall time and the backoff wait. Default: the system clock. */
  clock?: Clock;
  /** Uniform [0, 1) for the backoff jitter. Default Math.random. */
  random?: () => number;
}

/** A run whose last frame came at least this share of stallTimeoutS before a coded INPUT_UNREACHABLE is a stall. */
const STALL_SHARE = 0.5;
/** Our watchdog is a backstop behind the source's own (same timeout), s. */
const WATCHDOG_GRACE_S = 1;
/** stop() resolves after at most this long even if the source has not let go, ms. */
const STOP_DEADLINE_MS = 8000;
/** Window of fpsIn, ms. */
const FPS_WINDOW_MS = 5000;

interface RunOutcome {
  /** Seconds between the run's first and last frame (0: no frame). */
  streamedS: number;
  /** Undefined when the run was stopped on purpose. */
  error: AgentError | undefined;
  stall: boolean;
}

export class CameraSupervisor {
  readonly #camera: SupervisedCamera;
  readonly #log: Logger;
  readonly #factory: FrameSourceFactory;
  readonly #probe: NonNullable<CameraSupervisorOptions['probe']>;
  readonly #clock: Clock;
  readonly #backoff: Backoff;
  #state: CameraState = 'stopped';
  #active = false;
  #stopRequested = false;
  #atYield = false;
  #wake = new AbortController();
  #done: Promise<void> = Promise.resolve();
  #markDone: () => void = () => undefined;
  #run: SourceRun | undefined;
  #size: { width: number; height: number } | undefined;
  #meter: RateMeter | undefined;
  #seenIn = 0;
  #framesIn = 0;
  #framesDropped = 0;
  #reconnects = 0;
  #stalls = 0;
  #startedAtMs: number | undefined;
  #lastFrameAtMs: number | undefined;
  #lastError: StatusError | undefined;
  #retryAtMs: number | undefined;
  #indexBase = 0;
  #tBaseS = 0;
  #lastIndex = -1;
  #lastTS: number | undefined;

  constructor(o: CameraSupervisorOptions) {
    this.#camera = o.camera;
    this.#log = withCamera(o.logger ?? silentLogger, o.camera.name);
    this.#factory = o.sourceFactory ?? ffmpegSourceFactory;
    this.#probe = o.probe ?? ((input, p) => probeInput(input, p));
    this.#clock = o.clock ?? systemClock;
    const c = o.supervisor;
    this.#backoff = new Backoff({ initialS: c.backoffInitialS, maxS: c.backoffMaxS, jitter: c.jitter, healthyAfterS: c.healthyAfterS }, o.random);
  }

  /**
   * Frames forever: across restarts `index` keeps counting up and `tS` is seconds
   * since the supervisor first started (each run is rebased to the wall clock at
   * its first frame, never behind the previous frame). Ends on stop(), on
   * `signal` abort, or when the consumer leaves the loop. Throws only on
   * programmer errors (anything that is not an AgentError).
   */
  async *frames(signal?: AbortSignal): AsyncGenerator<Frame, void, undefined> {
    const input = this.#camera.input;
    if (!input) throw new AgentError('CONFIG_INVALID', `camera ${this.#camera.name} has no input`, { hint: 'set cameras[].input' });
    if (this.#active) throw new Error(`camera ${this.#camera.name}: frames() is already running`);
    this.#begin();
    const onAbort = (): void => void this.stop();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    try {
      for (let attempt = 0; !this.#stopRequested; attempt++) {
        if (attempt > 0) this.#reconnects++;
        const outcome = yield* this.#runOnce(input);
        if (this.#stopRequested || !outcome.error) break;
        await this.#waitBeforeRestart(outcome, outcome.error);
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await this.#run?.close();
      this.#finish();
    }
  }

  /**
   * Stops the current source (ffmpeg gets `q`, then signals) and ends frames().
   * Resolves once the source has let go and the generator has returned (or is
   * parked at a yield, returning on its next pull), at most STOP_DEADLINE_MS.
   */
  async stop(): Promise<void> {
    if (!this.#active) return;
    this.#stopRequested = true;
    this.#wake.abort();
    const closed = this.#run?.close() ?? Promise.resolve(true);
    const released = closed.then(() => (this.#atYield ? undefined : this.#done));
    const inTime = await within(released.then(() => true), STOP_DEADLINE_MS);
    if (!inTime) this.#log.warn({ deadlineMs: STOP_DEADLINE_MS }, 'camera did not stop within the deadline');
    this.#state = 'stopped';
    this.#retryAtMs = undefined;
  }

  /** A JSON-safe snapshot; messages are redacted, the input URL is never included. */
  status(): CameraStatus {
    const now = this.#clock.now();
    const live = this.#run?.source.stats;
    return {
      name: this.#camera.name,
      state: this.#state,
      fpsIn: round(this.#meter?.rate(now) ?? 0, 2),
      framesIn: this.#framesIn + (live?.framesIn ?? 0),
      framesDropped: this.#framesDropped + (live?.framesDropped ?? 0),
      reconnects: this.#reconnects,
      stalls: this.#stalls,
      lastFrameAt: this.#lastFrameAtMs === undefined ? null : new Date(this.#lastFrameAtMs).toISOString(),
      lastError: this.#lastError ? { ...this.#lastError } : null,
      nextRetryInS: this.#state === 'backoff' && this.#retryAtMs !== undefined ? round(Math.max(0, (this.#retryAtMs - now) / 1000), 1) : null,
    };
  }

  #begin(): void {
    this.#active = true;
    this.#stopRequested = false;
    this.#wake = new AbortController();
    this.#done = new Promise((resolve) => (this.#markDone = resolve));
    this.#startedAtMs ??= this.#clock.now();
    this.#meter ??= new RateMeter(FPS_WINDOW_MS, this.#startedAtMs);
  }

  #finish(): void {
    this.#state = 'stopped';
    this.#retryAtMs = undefined;
    this.#active = false;
    this.#log.info({ framesIn: this.status().framesIn, reconnects: this.#reconnects, stalls: this.#stalls }, 'camera stopped');
    this.#markDone();
  }

  /** One run: detect size (probed once), a fresh source, its frames until it is over. */
  async *#runOnce(input: string): AsyncGenerator<Frame, RunOutcome, undefined> {
    this.#state = 'starting';
    const startedMs = performance.now();
    let size: { width: number; height: number } | undefined;
    try {
      size = await this.#detectSize(input);
    } catch (e) {
      if (!this.#stopRequested) return this.#failure(e, performance.now() - startedMs);
    }
    if (this.#stopRequested || !size) return { streamedS: 0, error: undefined, stall: false };
    const { width, height } = size;
    const c = this.#camera;
    const source = this.#factory({ input, width, height, fps: c.detect.fps, rtspTransport: c.rtspTransport, stallTimeoutS: c.stallTimeoutS, logger: this.#log });
    const run = (this.#run = new SourceRun(source, (c.stallTimeoutS + WATCHDOG_GRACE_S) * 1000));
    this.#seenIn = 0;
    let first: number | undefined;
    let last: number | undefined;
    try {
      for (let frame = await run.next(); frame; frame = await run.next()) {
        last = this.#clock.now();
        const firstOfRun = first === undefined;
        if (firstOfRun) this.#onFirstFrame((first = last), width, height);
        this.#count(run, last);
        this.#atYield = true;
        yield this.#rebase(frame, firstOfRun);
        this.#atYield = false;
      }
    } finally {
      this.#atYield = false;
      await run.close();
      this.#endRun(run);
    }
    return this.#outcome(run, first === undefined || last === undefined ? 0 : (last - first) / 1000);
  }

  async #detectSize(input: string): Promise<{ width: number; height: number }> {
    if (this.#size) return this.#size;
    const { width, height } = this.#camera.detect;
    if (width && height) return (this.#size = { width, height });
    // ffprobe cannot be interrupted and waits 15 s on a camera that says nothing: it is
    // raced with stop() and with the stall timeout (then left to time out on its own).
    const limitS = this.#camera.stallTimeoutS + WATCHDOG_GRACE_S;
    const late = (): AgentError => new AgentError('INPUT_UNREACHABLE', `no answer within ${limitS} s from ${redactUrl(input)}`);
    const p = await bounded(this.#probe(input, { rtspTransport: this.#camera.rtspTransport }), this.#wake.signal, limitS * 1000, late);
    this.#size = detectSize(this.#camera, p.width, p.height);
    this.#log.info({ inWidth: p.width, inHeight: p.height, ...this.#size }, 'camera detect size from the input');
    return this.#size;
  }

  #onFirstFrame(nowMs: number, width: number, height: number): void {
    this.#state = 'streaming';
    this.#log.info({ width, height, fps: this.#camera.detect.fps, reconnects: this.#reconnects, sinceStartS: round((nowMs - (this.#startedAtMs ?? nowMs)) / 1000, 2) }, 'camera streaming');
  }

  /** fpsIn counts what the source read, including frames it later dropped. */
  #count(run: SourceRun, nowMs: number): void {
    const read = run.source.stats.framesIn;
    const n = Math.max(1, read - this.#seenIn);
    this.#seenIn = Math.max(read, this.#seenIn + 1);
    for (let k = 0; k < n; k++) this.#meter?.tick(nowMs);
    this.#lastFrameAtMs = nowMs;
  }

  #rebase(f: Frame, firstOfRun: boolean): Frame {
    if (firstOfRun) {
      const sinceStartS = (this.#clock.now() - (this.#startedAtMs ?? 0)) / 1000;
      const notBefore = this.#lastTS === undefined ? 0 : this.#lastTS + 1 / this.#camera.detect.fps;
      this.#tBaseS = Math.max(sinceStartS, notBefore) - f.tS;
      this.#indexBase = this.#lastIndex + 1 - f.index;
    }
    const index = this.#indexBase + f.index;
    const tS = this.#tBaseS + f.tS;
    this.#lastIndex = index;
    this.#lastTS = tS;
    return { ...f, index, tS };
  }

  #endRun(run: SourceRun): void {
    const s = run.source.stats;
    this.#framesIn += s.framesIn;
    this.#framesDropped += s.framesDropped;
    if (this.#run === run) this.#run = undefined;
  }

  #outcome(run: SourceRun, streamedS: number): RunOutcome {
    const end = run.end ?? { kind: 'stopped' };
    const input = redactUrl(this.#camera.input ?? '');
    switch (end.kind) {
      case 'stopped': // by stop(), or the consumer left: no restart either way
        return { streamedS, error: undefined, stall: false };
      case 'stalled':
        return { streamedS, error: new AgentError('INPUT_UNREACHABLE', `no frame for ${this.#camera.stallTimeoutS} s from ${input}`), stall: true };
      case 'ended':
        return { streamedS, error: new AgentError('INPUT_UNREACHABLE', `${input} ended the stream after ${run.source.stats.framesIn} frames`), stall: false };
      case 'failed':
        return { ...this.#failure(end.error, run.silentMs), streamedS };
    }
  }

  /**
   * A coded failure; anything else is a programmer error and is rethrown.
   * An INPUT_UNREACHABLE after a long silence is a stall (the source's own
   * watchdog, or ffprobe timing out on a camera that accepts and says nothing);
   * a refused connection or a 401 fails at once and is not.
   */
  #failure(e: unknown, silentMs: number): RunOutcome {
    if (!isAgentError(e)) throw e;
    const stall = e.code === 'INPUT_UNREACHABLE' && silentMs >= STALL_SHARE * this.#camera.stallTimeoutS * 1000;
    return { streamedS: 0, error: e, stall };
  }

  async #waitBeforeRestart(outcome: RunOutcome, error: AgentError): Promise<void> {
    const delayS = this.#backoff.delayAfter(outcome.streamedS);
    if (outcome.stall) this.#stalls++;
    this.#lastError = statusError(error);
    this.#state = 'backoff';
    this.#retryAtMs = this.#clock.now() + delayS * 1000;
    this.#log.warn(
      { code: this.#lastError.code, err: this.#lastError.message, stall: outcome.stall, streamedS: round(outcome.streamedS, 2), failures: this.#backoff.failures, delayS: round(delayS, 3) },
      'camera failed, restarting after backoff',
    );
    await this.#clock.sleep(delayS * 1000, this.#wake.signal);
    this.#retryAtMs = undefined;
  }
}

/** Adds `camera: name` to every line, and passes every message through redactUrl. */
function withCamera(log: Logger, camera: string): Logger {
  const wrap = (level: keyof Logger) => (obj: object, msg?: string): void => log[level]({ camera, ...obj }, msg === undefined ? undefined : redactUrl(msg));
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** The value of `p`; rejects when `signal` aborts or after `ms` (`p` is left to settle on its own). */
function bounded<T>(p: Promise<T>, signal: AbortSignal, ms: number, timeoutError: () => Error): Promise<T> {
  let onAbort: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const cut = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Error('stopped'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    timer = setTimeout(() => reject(timeoutError()), ms);
  });
  void p.catch(() => undefined);
  return Promise.race([p, cut]).finally(() => {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort as () => void);
  });
}
