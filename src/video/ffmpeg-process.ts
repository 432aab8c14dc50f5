/**
 * One ffmpeg child: frames on stdout, stderr kept (last lines, redacted) for
 * logs and error messages, and the graceful stop ladder `q` -> SIGTERM -> SIGKILL.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { Logger } from './logger.js';
import { redactUrl } from './redact.js';

export interface FfmpegExit {
  /** Exit code; null when killed by a signal or never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the binary could not be started (errno code, e.g. "ENOENT"). */
  spawnError: string | undefined;
}

/** Lines of stderr kept for the error message / log. */
const STDERR_TAIL_LINES = 20;
/** Each step of the stop ladder waits this long for the process to exit (ms). */
const STOP_STEP_MS = 2000;

export class FfmpegProcess {
  readonly stdout: Readable;
  /** Resolves once the process has exited and its pipes are closed. Never rejects. */
  readonly exited: Promise<FfmpegExit>;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #tail = new LineTail(STDERR_TAIL_LINES);
  readonly #logger: Logger;
  #done = false;
  #stopping: Promise<void> | undefined;

  constructor(ffmpegPath: string, args: readonly string[], logger: Logger) {
    this.#logger = logger;
    this.#child = spawn(ffmpegPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.stdout = this.#child.stdout;
    this.exited = this.#watchExit();
    this.#child.stdin.on('error', (e: Error) => logger.debug({ err: e.message }, 'ffmpeg stdin closed'));
    this.#child.stderr.setEncoding('utf8');
    this.#child.stderr.on('data', (text: string) => this.#onStderr(text));
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** The last stderr lines (redacted), newline-joined. */
  get stderrTail(): string {
    return this.#tail.text();
  }

  /** `q` on stdin (ffmpeg flushes and exits), then SIGTERM, then SIGKILL, 2 s apart. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stopLadder();
    return this.#stopping;
  }

  /**
   * SIGKILL now, for a stalled input: ffmpeg reads `q` only between packets, and
   * a single SIGTERM does not interrupt a blocked network read (measured with
   * ffmpeg 5.1: it only restarts the socket timeout; a second signal is needed).
   */
  kill(): void {
    if (!this.#done) this.#child.kill('SIGKILL');
  }

  async #stopLadder(): Promise<void> {
    if (this.#done) return;
    this.#child.stdin.end('q');
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      if (await this.#exitsWithin(STOP_STEP_MS)) return;
      this.#logger.warn({ pid: this.pid, signal }, 'ffmpeg did not stop, signalling');
      this.#child.kill(signal);
    }
    await this.exited;
  }

  #exitsWithin(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      void this.exited.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  #watchExit(): Promise<FfmpegExit> {
    return new Promise((resolve) => {
      let spawnError: string | undefined;
      // Only the errno code is kept: the error's message and spawnargs hold the unredacted URL.
      this.#child.on('error', (e: NodeJS.ErrnoException) => {
        spawnError = e.code ?? 'spawn failed';
      });
      this.#child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
        this.#done = true;
        this.#tail.flush();
        resolve({ code: spawnError ? null : code, signal, spawnError });
      });
    });
  }

  #onStderr(text: string): void {
    for (const line of this.#tail.add(text)) this.#logger.debug({ pid: this.pid, line }, 'ffmpeg stderr');
  }
}

/** Splits streamed text into redacted lines and keeps the last `max` of them. */
class LineTail {
  readonly #max: number;
  readonly #lines: string[] = [];
  #partial = '';

  constructor(max: number) {
    this.#max = max;
  }

  /** @returns the complete lines this text finished. */
  add(text: string): string[] {
    const parts = (this.#partial + text).split(/\r?\n|\r/);
    this.#partial = parts.pop() ?? '';
    return parts.filter((l) => l.trim().length > 0).map((l) => this.#keep(l));
  }

  flush(): void {
    if (this.#partial.trim().length > 0) this.#keep(this.#partial);
    this.#partial = '';
  }

  text(): string {
    return this.#lines.join('\n');
  }

  #keep(line: string): string {
    const clean = redactUrl(line.trim());
    this.#lines.push(clean);
    if (this.#lines.length > this.#max) this.#lines.shift();
    return clean;
  }
}
