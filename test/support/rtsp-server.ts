/**
 * A real RTSP server for tests: GStreamer's GstRtspServer (scripts/rtsp_server.py, shared with the demo,
 * run with Debian's /usr/bin/python3 which has `gi`) serving H.264 MP4 files
 * on 127.0.0.1, looped like cameras that never end, optionally behind RTSP
 * basic auth. It can be killed (SIGKILL, a camera losing power) and restarted
 * on the same port (the camera coming back).
 *
 * Every server started here is SIGKILLed when the test process exits, and the
 * python side exits when its stdin closes, so a failing test leaves none behind.
 */
import { spawn, execFileSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RtspCredentials {
  user: string;
  password: string;
}

export interface RtspServerOptions {
  /** Mount name -> H.264 MP4 file; served as rtsp://127.0.0.1:PORT/<name>. */
  mounts: Record<string, string>;
  /** TCP port on 127.0.0.1; default 0 = a free one picked by the server (kept across restart()). */
  port?: number;
  /** Require RTSP basic auth with these credentials on every mount (passed by environment, not argv). */
  auth?: RtspCredentials;
  /** Python with `gi` and GstRtspServer. Default /usr/bin/python3. */
  python?: string;
  /** Longest wait for the server to accept connections, ms. Default 15000. */
  readyTimeoutMs?: number;
}

export interface RtspServer {
  /** The port, fixed for the server's life (restart() reuses it). */
  readonly port: number;
  /** rtsp://[user:password@]127.0.0.1:PORT/<name> (credentials percent-encoded). */
  url(name: string, creds?: RtspCredentials): string;
  /** SIGTERM, then SIGKILL after 3 s; resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
  /** Stops it if running, then starts it again on the same port and waits until it accepts connections. */
  restart(): Promise<void>;
  /** SIGKILL now (a camera losing power): connections drop without an RTSP TEARDOWN. */
  kill(): void;
  /** SIGSTOP (a frozen camera): connections stay open, nothing is sent; resume() with SIGCONT. */
  pause(): void;
  resume(): void;
  /** The last lines the python side wrote on stderr. */
  readonly stderr: string;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const STDERR_TAIL_CHARS = 4000;
const STOP_GRACE_MS = 3000;

/** The project root: the nearest folder up with package.json and tsconfig.json (code runs from dist/). */
function projectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsconfig.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no folder with package.json and tsconfig.json above ${from}`);
  }
}

const ROOT = projectRoot(HERE);
const SCRIPT = join(ROOT, 'scripts', 'rtsp_server.py');
const live = new Set<ChildProcessWithoutNullStreams>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL'); // SIGKILL also ends a SIGSTOPped process
});

export async function startRtspServer(opts: RtspServerOptions): Promise<RtspServer> {
  const server = new GstRtspServerProcess(opts);
  await server.start(opts.port ?? 0);
  return server;
}

class GstRtspServerProcess implements RtspServer {
  readonly #o: RtspServerOptions;
  #port = 0;
  #child: ChildProcessWithoutNullStreams | undefined;
  #exited: Promise<void> = Promise.resolve();
  #stderr = '';

  constructor(o: RtspServerOptions) {
    this.#o = o;
  }

  get port(): number {
    return this.#port;
  }

  get stderr(): string {
    return this.#stderr;
  }

  url(name: string, creds?: RtspCredentials): string {
    const userinfo = creds ? `${encodeURIComponent(creds.user)}:${encodeURIComponent(creds.password)}@` : '';
    return `rtsp://${userinfo}127.0.0.1:${this.#port}/${name}`;
  }

  async start(port: number): Promise<void> {
    const deadline = Date.now() + (this.#o.readyTimeoutMs ?? 15_000);
    const child = this.#spawn(port);
    try {
      this.#port = await this.#ready(child, deadline);
      await waitForPort(this.#port, deadline);
    } catch (e) {
      child.kill('SIGKILL');
      await this.#exited;
      process.stderr.write(`rtsp-server: python stderr:\n${this.#stderr}\n`);
      throw new Error(`RTSP server did not start: ${(e as Error).message}\n--- python stderr ---\n${this.#stderr}`);
    }
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await this.#exited;
      clearTimeout(timer);
    }
    this.#child = undefined;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start(this.#port);
  }

  kill(): void {
    this.#child?.kill('SIGKILL');
  }

  pause(): void {
    this.#child?.kill('SIGSTOP');
  }

  resume(): void {
    this.#child?.kill('SIGCONT');
  }

  #spawn(port: number): ChildProcessWithoutNullStreams {
    const args = [SCRIPT, '--port', String(port)];
    for (const [name, file] of Object.entries(this.#o.mounts)) args.push('--mount', `${name}=${file}`);
    const env = { ...process.env };
    if (this.#o.auth) Object.assign(env, { RTSP_USER: this.#o.auth.user, RTSP_PASSWORD: this.#o.auth.password });
    // stdin stays an open pipe we never write: the server exits when it closes (we died).
    const child = spawn(this.#o.python ?? '/usr/bin/python3', args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.#child = child;
    live.add(child);
    this.#exited = new Promise((resolve) => child.on('close', () => resolve()));
    void this.#exited.then(() => live.delete(child));
    child.on('error', (e) => this.#keepStderr(`spawn failed: ${e.message}\n`));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (t: string) => this.#keepStderr(t));
    return child;
  }

  #keepStderr(text: string): void {
    this.#stderr = (this.#stderr + text).slice(-STDERR_TAIL_CHARS);
  }

  /** The port from the server's "READY <port>" line. */
  #ready(child: ChildProcessWithoutNullStreams, deadline: number): Promise<number> {
    return new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('no READY line in time')), Math.max(0, deadline - Date.now()));
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (t: string) => {
        out += t;
        const m = /READY (\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`python exited (${signal ?? `code ${code}`}) before it was ready`));
      });
    });
  }
}

/** Resolves once 127.0.0.1:port accepts a TCP connection. */
async function waitForPort(port: number, deadline: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} does not accept connections`);
    await sleep(50);
  }
}

export interface TestClipOptions {
  width: number;
  height: number;
  fps: number;
  seconds: number;
}

/**
 * An H.264 MP4 of ffmpeg's testsrc2 (moving pattern and a running clock),
 * keyframe every 2 s, in .cache/clips/. 25 fps like a real camera: ffmpeg's
 * stream analysis waits for 20 frames (fps_analyze_framecount), which is 2 s
 * per ffprobe/ffmpeg open at 10 fps and 0.8 s at 25 fps. Made once, written
 * under a temporary name and renamed so parallel tests never see half a file.
 */
export async function ensureTestClip(o: TestClipOptions = { width: 640, height: 360, fps: 25, seconds: 4 }): Promise<string> {
  const dir = join(ROOT, '.cache', 'clips');
  const path = join(dir, `rtsp-testsrc2-${o.width}x${o.height}-${o.fps}fps-${o.seconds}s.mp4`);
  if (existsSync(path)) return path;
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${process.pid}.${Date.now()}.tmp.mp4`);
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${o.width}x${o.height}:rate=${o.fps}`,
    '-t', String(o.seconds), '-c:v', 'libx264', '-g', String(2 * o.fps), '-pix_fmt', 'yuv420p', tmp]);
  await rename(tmp, path);
  return path;
}

/** Command lines of running processes that mention `needle` (from /proc): the ffmpeg/ffprobe clients of a URL. */
export async function processesMentioning(needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(needle)) found.push(`${pid}: ${cmd.replaceAll('\0', ' ')}`);
  }
  return found;
}
