/**
 * Decoded RGB24 frames from a file or a camera, through ffmpeg.
 *
 * Live sources (cameras, or a file paced with `live: true`) never block ffmpeg:
 * when the consumer lags, the oldest queued frame is dropped and counted, and a
 * source that delivers nothing for `stallTimeoutS` is killed and reported.
 * Files are analysed completely: when the queue is full, stdout is no longer
 * read, the pipe fills and ffmpeg waits, so no frame is ever dropped.
 */
import type { Frame } from '../core/types.js';
import { AgentError } from '../core/errors.js';
import { BoundedQueue } from './bounded-queue.js';
import { buildFfmpegArgs } from './ffmpeg-args.js';
import { FfmpegProcess, type FfmpegExit } from './ffmpeg-process.js';
import { FrameAssembler } from './frame-assembler.js';
import { silentLogger, type Logger } from './logger.js';
import { FFMPEG_HINT, probeInput } from './probe.js';
import { redactUrl } from './redact.js';

export interface FfmpegFrameSourceOptions {
  /** Local path, or an rtsp:// / http(s):// URL (credentials are redacted in every log line and error). */
  input: string;
  /** Frame width in pixels; ffmpeg scales to it. */
  width: number;
  /** Frame height in pixels; ffmpeg scales to it. */
  height: number;
  /** Frames per second delivered; ffmpeg's fps filter resamples to it. */
  fps: number;
  /**
   * Live handling: drop the oldest frame when the consumer lags, stall watchdog,
   * and for a local file real-time pacing (-re). Default: what the probe says
   * (rtsp and other network feeds are live, files are not).
   */
  live?: boolean;
  /** Frames buffered between ffmpeg and the consumer. Default 4. */
  queueCapacity?: number;
  /** RTSP lower transport. Default "tcp". */
  rtspTransport?: 'tcp' | 'udp';
  /** Live sources only: seconds without a frame before ffmpeg is killed (INPUT_UNREACHABLE). Default 10 s. */
  stallTimeoutS?: number;
  /** pino-like logger; default silent. */
  logger?: Logger;
  /** ffmpeg executable. Default "ffmpeg" from PATH. */
  ffmpegPath?: string;
  /** ffprobe executable. Default "ffprobe" from PATH. */
  ffprobePath?: string;
}

export interface FrameSourceStats {
  /** Frames read from ffmpeg in the current (or last) run. */
  framesIn: number;
  /** Of those, frames dropped because the consumer lagged on a live source. */
  framesDropped: number;
  /** Always 0: restarting is the supervisor's job. */
  restarts: number;
}

/** Lines of ffmpeg's stderr quoted in an FFMPEG_FAILED message (the log gets all kept lines). */
const MESSAGE_STDERR_LINES = 5;

export class FfmpegFrameSource {
  readonly #o: FfmpegFrameSourceOptions & Required<Pick<FfmpegFrameSourceOptions,
    'queueCapacity' | 'rtspTransport' | 'stallTimeoutS' | 'logger' | 'ffmpegPath' | 'ffprobePath'>>;
  #queue: BoundedQueue<Frame> | undefined;
  #proc: FfmpegProcess | undefined;
  #framesIn = 0;
  #running = false;
  #stopRequested = false;
  #failure: AgentError | undefined;

  constructor(options: FfmpegFrameSourceOptions) {
    const o = {
      ...options,
      queueCapacity: options.queueCapacity ?? 4,
      rtspTransport: options.rtspTransport ?? 'tcp',
      stallTimeoutS: options.stallTimeoutS ?? 10,
      logger: options.logger ?? silentLogger,
      ffmpegPath: options.ffmpegPath ?? 'ffmpeg',
      ffprobePath: options.ffprobePath ?? 'ffprobe',
    };
    for (const key of ['width', 'height', 'queueCapacity'] as const) {
      if (!Number.isInteger(o[key]) || o[key] < 1) throw new RangeError(`${key} must be an integer >= 1, got ${o[key]}`);
    }
    for (const key of ['fps', 'stallTimeoutS'] as const) {
      if (!(o[key] > 0 && Number.isFinite(o[key]))) throw new RangeError(`${key} must be > 0, got ${o[key]}`);
    }
    this.#o = o;
  }

  get stats(): FrameSourceStats {
    return { framesIn: this.#framesIn, framesDropped: this.#queue?.dropped ?? 0, restarts: 0 };
  }

  /**
   * Probes the input (clear errors before any ffmpeg runs), then yields frames
   * until the input ends, `stop()` is called or the consumer leaves the loop.
   * `index` counts every frame ffmpeg produced (dropped ones leave gaps) and
   * `tS = index / fps`: the fps filter makes the output constant-rate, so that is
   * the presentation time since the first frame. One run at a time per source.
   */
  async *frames(): AsyncGenerator<Frame, void, undefined> {
    if (this.#running) throw new Error('FfmpegFrameSource.frames() is already running');
    this.#running = true;
    this.#stopRequested = false;
    this.#failure = undefined;
    this.#framesIn = 0;
    try {
      const info = await probeInput(this.#o.input, { ffprobePath: this.#o.ffprobePath, rtspTransport: this.#o.rtspTransport });
      if (this.#stopRequested) return;
      yield* this.#decode(this.#o.live ?? info.live);
    } finally {
      await this.stop();
      this.#running = false;
    }
  }

  /** Asks ffmpeg to quit (`q`, then SIGTERM, then SIGKILL, 2 s apart); the generator ends. No-op when not running. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#stopRequested = true;
    this.#queue?.close();
    await this.#proc?.stop();
  }

  async *#decode(live: boolean): AsyncGenerator<Frame, void, undefined> {
    const queue = (this.#queue = new BoundedQueue<Frame>(this.#o.queueCapacity));
    // ffmpeg's socket timeout is a backstop a little past our stall watchdog, which decides first.
    const args = buildFfmpegArgs({ ...this.#o, live, socketTimeoutS: this.#o.stallTimeoutS + 2 });
    const proc = (this.#proc = new FfmpegProcess(this.#o.ffmpegPath, args, this.#o.logger));
    this.#o.logger.info({ input: redactUrl(this.#o.input), live, pid: proc.pid }, 'ffmpeg started');
    const stall = live ? this.#watchStall(proc, queue) : undefined;
    const pumped = this.#pump(proc, queue, live, stall);
    try {
      for await (const frame of queue) {
        if (this.#stopRequested) break;
        yield frame;
      }
    } finally {
      clearTimeout(stall);
    }
    await pumped;
    this.#checkExit(await proc.exited, proc);
  }

  /** Reads stdout into frames. Never rejects; closes the queue once ffmpeg has exited. */
  async #pump(proc: FfmpegProcess, queue: BoundedQueue<Frame>, live: boolean, stall?: NodeJS.Timeout): Promise<void> {
    const assembler = new FrameAssembler(this.#o.width * this.#o.height * 3);
    try {
      for await (const chunk of proc.stdout as AsyncIterable<Buffer>) {
        for (const rgb of assembler.write(chunk)) {
          if (!queue.closed) stall?.refresh();
          // Files: not reading on while the queue is full is the backpressure (the pipe fills, ffmpeg waits).
          if (!live) await queue.waitForSpace();
          queue.push(this.#toFrame(rgb));
        }
      }
    } catch (e) {
      this.#o.logger.warn({ err: (e as Error).message }, 'reading ffmpeg output failed');
    } finally {
      if (assembler.pendingBytes > 0) this.#o.logger.debug({ bytes: assembler.pendingBytes }, 'partial last frame discarded');
      await proc.exited;
      queue.close();
    }
  }

  #toFrame(rgb: Uint8Array): Frame {
    const index = this.#framesIn++;
    return { index, tS: index / this.#o.fps, width: this.#o.width, height: this.#o.height, rgb };
  }

  #watchStall(proc: FfmpegProcess, queue: BoundedQueue<Frame>): NodeJS.Timeout {
    const s = this.#o.stallTimeoutS;
    return setTimeout(() => {
      const input = redactUrl(this.#o.input);
      this.#failure = new AgentError('INPUT_UNREACHABLE', `no frame for ${s} s from ${input}`, {
        hint: 'check that the camera is up and streaming',
      });
      this.#o.logger.warn({ input, stallTimeoutS: s, framesIn: this.#framesIn }, 'input stalled, killing ffmpeg');
      queue.close();
      proc.kill();
    }, s * 1000);
  }

  #checkExit(exit: FfmpegExit, proc: FfmpegProcess): void {
    if (this.#failure) throw this.#failure;
    if (this.#stopRequested) return;
    const { ffmpegPath, input, logger } = this.#o;
    if (exit.spawnError === 'ENOENT') {
      throw new AgentError('FFMPEG_MISSING', `ffmpeg not found (${ffmpegPath})`, { hint: FFMPEG_HINT });
    }
    if (exit.spawnError) throw new AgentError('FFMPEG_FAILED', `cannot start ffmpeg (${ffmpegPath}): ${exit.spawnError}`);
    const tail = proc.stderrTail;
    if (exit.code === 0) {
      logger.info({ input: redactUrl(input), framesIn: this.#framesIn, stderr: tail || undefined }, 'ffmpeg finished');
      return;
    }
    const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
    const when = this.#framesIn === 0 ? 'before any frame' : `after ${this.#framesIn} frames`;
    logger.error({ input: redactUrl(input), code: exit.code, signal: exit.signal, stderr: tail }, 'ffmpeg failed');
    const quoted = tail.split('\n').slice(-MESSAGE_STDERR_LINES).join(' | ') || 'no error output';
    throw new AgentError('FFMPEG_FAILED', `ffmpeg failed on ${redactUrl(input)} ${when} (${how}): ${quoted}`);
  }
}
