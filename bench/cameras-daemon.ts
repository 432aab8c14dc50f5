/**
 * `edge-agent run --config FILE` as a child of the bench, the way systemd runs
 * it: its pino JSON lines on stderr are read for the detector it loaded and
 * for warnings and errors; stop() is SIGTERM and the exit code it ends with.
 * A daemon still running when the bench exits is SIGKILLed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface DaemonLog {
  /** From the 'detector ready' line: runtime and model; null until it is logged. */
  detector: { runtime: string; model: string; version: string; atS: number } | null;
  /** Seconds from spawn to the 'running' line (all cameras started); null until then. */
  runningAtS: number | null;
  warnings: number;
  errors: number;
  /** The last warn/error/fatal messages, oldest first (at most LAST_PROBLEMS). */
  problems: string[];
  /** The last stderr lines, for failure messages. */
  tail: string[];
}

export interface DaemonExit {
  /** Exit code; null when a signal ended it. */
  readonly code: number | null;
  readonly signal: string | null;
  /** From SIGTERM to exit, s. */
  readonly stopS: number;
  /** True when it did not exit within the deadline and was SIGKILLed. */
  readonly killed: boolean;
}

const LAST_PROBLEMS = 5;
const TAIL_LINES = 20;
/** pino levels: 40 warn, 50 error, 60 fatal. */
const WARN = 40;
const ERROR = 50;

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export class DaemonProcess {
  readonly log: DaemonLog = { detector: null, runningAtS: null, warnings: 0, errors: 0, problems: [], tail: [] };
  private readonly exited: Promise<{ code: number | null; signal: string | null }>;
  private readonly spawnedAt = performance.now();

  private constructor(private readonly child: ChildProcess & { pid: number }) {
    live.add(child);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    void this.exited.then(() => live.delete(child));
    child.stdout?.resume(); // only the demo writes there
    createInterface({ input: child.stderr! }).on('line', (line) => this.onLine(line));
  }

  /** Spawns the compiled CLI; EDGE_AGENT__ overrides from the bench's environment are not passed on. */
  static start(root: string, configFile: string): DaemonProcess {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('EDGE_AGENT__')));
    const args = [join(root, 'dist', 'src', 'cli', 'main.js'), 'run', '--config', configFile];
    const child = spawn(process.execPath, args, { cwd: root, env: { ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid === undefined) throw new Error(`could not spawn ${process.execPath} ${args.join(' ')}`);
    return new DaemonProcess(child as ChildProcess & { pid: number });
  }

  get pid(): number {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Seconds since spawn. */
  ageS(): number {
    return (performance.now() - this.spawnedAt) / 1000;
  }

  /** `p`, unless the daemon exits first: then a rejection quoting its last stderr lines. */
  unlessExited<T>(p: Promise<T>): Promise<T> {
    const died = this.exited.then(({ code, signal }) => {
      throw new Error(`daemon exited (${signal ?? `code ${code}`}) ${this.ageS().toFixed(1)} s after spawn; its last lines:\n${this.log.tail.join('\n')}`);
    });
    void died.catch(() => undefined); // only the race below reports it
    return Promise.race([p, died]);
  }

  /** SIGTERM, then waits up to deadlineMs for the exit (SIGKILL after it). */
  async stop(deadlineMs: number): Promise<DaemonExit> {
    const t0 = performance.now();
    let killed = false;
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      killed = true;
      this.child.kill('SIGKILL');
    }, deadlineMs);
    const { code, signal } = await this.exited;
    clearTimeout(timer);
    return { code, signal, stopS: (performance.now() - t0) / 1000, killed };
  }

  private onLine(line: string): void {
    this.log.tail = [...this.log.tail.slice(1 - TAIL_LINES), line];
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // not pino: an uncaught exception's stack, kept in the tail
    }
    const level = typeof rec.level === 'number' ? rec.level : 0;
    if (rec.msg === 'detector ready') {
      this.log.detector = { runtime: String(rec.runtime), model: String(rec.model), version: String(rec.version), atS: this.ageS() };
    }
    if (rec.msg === 'running') this.log.runningAtS ??= this.ageS();
    if (level >= WARN) this.noteProblem(level, rec);
  }

  private noteProblem(level: number, rec: Record<string, unknown>): void {
    if (level >= ERROR) this.log.errors++;
    else this.log.warnings++;
    const camera = typeof rec.camera === 'string' ? `${rec.camera}: ` : '';
    const err = rec.err === undefined ? '' : ` (${typeof rec.err === 'string' ? rec.err : JSON.stringify(rec.err)})`;
    this.log.problems = [...this.log.problems.slice(1 - LAST_PROBLEMS), `${camera}${String(rec.msg)}${err}`.slice(0, 300)];
  }
}
