/**
 * ffprobe in front of every decode: a missing file, a file that is not video,
 * an unreachable camera and a missing ffmpeg install each get their own coded
 * error naming the input (credentials redacted) before any ffmpeg is spawned.
 */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { AgentError } from '../core/errors.js';
import { inputKind, isLiveScheme, type InputKind } from './input.js';
import { redactUrl } from './redact.js';

export interface ProbeResult {
  width: number;
  height: number;
  /** Average frame rate of the video stream; undefined when the container does not say. */
  fps: number | undefined;
  /** Seconds; undefined for live streams and containers without a duration. */
  durationS: number | undefined;
  /** ffprobe's codec_name, e.g. "h264", "msmpeg4v3". */
  codec: string;
  /** A camera/network feed (rtsp, rtmp, udp, srt..., or a URL without a duration), or a device/FIFO. */
  live: boolean;
}

export interface ProbeOptions {
  /** Give up (and kill ffprobe) after this many seconds. Default 15 s for URLs, 10 s for files. */
  timeoutS?: number;
  /** ffprobe executable. Default "ffprobe" from PATH. */
  ffprobePath?: string;
  /** RTSP lower transport. Default "tcp" (no lost packets behind NAT/firewalls). */
  rtspTransport?: 'tcp' | 'udp';
}

export const FFMPEG_HINT = 'install ffmpeg: apt-get install ffmpeg (or run scripts/setup.sh)';

/** Reads width, height, fps, duration and codec of the first video stream of `input`. */
export async function probeInput(input: string, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const kind = inputKind(input);
  const localLive = kind === 'file' ? await checkLocalFile(input) : false;
  const timeoutS = opts.timeoutS ?? (kind === 'file' ? 10 : 15);
  const args = probeArgs(input, kind, timeoutS, opts.rtspTransport ?? 'tcp');
  const run = await runFfprobe(opts.ffprobePath ?? 'ffprobe', args, timeoutS);
  if (run.missing) {
    throw new AgentError('FFMPEG_MISSING', `ffprobe not found (${opts.ffprobePath ?? 'ffprobe'})`, { hint: FFMPEG_HINT });
  }
  if (run.timedOut || run.exitCode !== 0) throw probeFailure(input, kind, run, timeoutS);
  return parseProbe(input, run.stdout, kind === 'file' ? localLive : undefined);
}

/** @returns whether the local path is live by nature (a device or a FIFO). */
async function checkLocalFile(path: string): Promise<boolean> {
  const info = await stat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'EACCES') throw new AgentError('INPUT_NOT_FOUND', `input not readable (permission denied): ${path}`);
    throw new AgentError('INPUT_NOT_FOUND', `input file not found: ${path}`, {
      hint: 'check the path; relative paths are resolved from the working directory',
    });
  });
  if (info.isDirectory()) throw new AgentError('INPUT_NOT_VIDEO', `input is a directory, not a video: ${path}`);
  return info.isCharacterDevice() || info.isFIFO();
}

function probeArgs(input: string, kind: InputKind, timeoutS: number, transport: 'tcp' | 'udp'): string[] {
  const args = ['-v', 'error', '-print_format', 'json', '-show_streams', '-select_streams', 'v:0', '-show_format'];
  const timeoutUs = String(Math.round(timeoutS * 1e6));
  // ffmpeg 5.x: the rtsp demuxer's socket timeout is -timeout (microseconds; -stimeout is gone);
  // other protocols take the generic -rw_timeout (microseconds).
  if (kind === 'rtsp') args.push('-rtsp_transport', transport, '-timeout', timeoutUs);
  if (kind === 'url') args.push('-rw_timeout', timeoutUs);
  args.push(input);
  return args;
}

interface ProbeRun {
  stdout: string;
  stderr: string;
  exitCode: number | undefined;
  timedOut: boolean;
  missing: boolean;
}

function runFfprobe(ffprobe: string, args: string[], timeoutS: number): Promise<ProbeRun> {
  const options = { timeout: timeoutS * 1000, killSignal: 'SIGKILL' as const, maxBuffer: 4 * 1024 * 1024 };
  return new Promise((resolve) => {
    // The error object is never passed on: its message and `spawnargs` hold the unredacted URL.
    execFile(ffprobe, args, options, (err, stdout, stderr) => {
      const code = (err as NodeJS.ErrnoException | null)?.code;
      resolve({
        stdout,
        stderr,
        exitCode: err === null ? 0 : typeof code === 'number' ? code : undefined,
        timedOut: err !== null && 'killed' in err && err.killed === true,
        missing: code === 'ENOENT',
      });
    });
  });
}

function probeFailure(input: string, kind: InputKind, run: ProbeRun, timeoutS: number): AgentError {
  const name = redactUrl(input);
  const why = run.timedOut ? `no answer within ${timeoutS} s` : lastStderrLine(run.stderr, input);
  if (kind === 'file') return new AgentError('INPUT_NOT_VIDEO', `not a readable video: ${name} (${why})`);
  if (!run.timedOut && /Invalid data found/i.test(run.stderr)) {
    return new AgentError('INPUT_NOT_VIDEO', `not a video stream: ${name} (${why})`);
  }
  return new AgentError('INPUT_UNREACHABLE', `cannot open ${name}: ${why}`, {
    hint: 'check the camera address, port, credentials and network',
  });
}

/** ffprobe's final error line, redacted, without its leading "INPUT: " echo. */
function lastStderrLine(stderr: string, input: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const last = lines.at(-1) ?? 'ffprobe failed without a message';
  const unechoed = last.startsWith(`${input}: `) ? last.slice(input.length + 2) : last;
  return redactUrl(unechoed);
}

interface FfprobeJson {
  streams?: { codec_type?: string; codec_name?: string; width?: number; height?: number;
    avg_frame_rate?: string; r_frame_rate?: string; duration?: string }[];
  format?: { duration?: string };
}

function parseProbe(input: string, stdout: string, localLive: boolean | undefined): ProbeResult {
  let json: FfprobeJson;
  try {
    json = JSON.parse(stdout) as FfprobeJson;
  } catch {
    throw new AgentError('INPUT_NOT_VIDEO', `ffprobe gave no readable answer for ${redactUrl(input)}`);
  }
  const v = json.streams?.[0];
  if (v?.codec_type !== 'video' || !(v.width && v.height)) {
    throw new AgentError('INPUT_NOT_VIDEO', `no video stream in ${redactUrl(input)}`);
  }
  const durationS = positive(json.format?.duration) ?? positive(v.duration);
  return {
    width: v.width,
    height: v.height,
    fps: parseRate(v.avg_frame_rate) ?? parseRate(v.r_frame_rate),
    durationS,
    codec: v.codec_name ?? 'unknown',
    live: localLive ?? (isLiveScheme(input) || durationS === undefined),
  };
}

/** "30000/1001" -> 29.97; "0/0" and implausible rates (> 1000, timebase leaking through) -> undefined. */
function parseRate(rate: string | undefined): number | undefined {
  const [num, den] = (rate ?? '').split('/').map(Number);
  if (!num || !den) return undefined;
  const fps = num / den;
  return Number.isFinite(fps) && fps > 0 && fps <= 1000 ? fps : undefined;
}

function positive(s: string | undefined): number | undefined {
  const n = Number(s);
  return s !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
}
