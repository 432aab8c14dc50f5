/**
 * ffmpeg/ffprobe for test clips: decode to raw RGB24, encode raw RGB24 frames
 * piped on stdin (with backpressure), probe a file. Every failure carries the
 * command's exit status and the tail of its stderr.
 */
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';

/** How much of a failed command's stderr goes into the error message, in characters. */
const STDERR_TAIL_CHARS = 1500;

/** x264 settings for clips: veryfast keeps generation quick, crf 18 keeps noise and edges. */
const X264_PRESET = 'veryfast';
const X264_CRF = '18';

export interface VideoFormat {
  width: number;
  height: number;
  fps: number;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

class StderrTail {
  private text = '';

  push(chunk: Buffer): void {
    this.text = (this.text + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
  }

  toString(): string {
    return this.text.trim() || '(no stderr)';
  }
}

function failure(cmd: string, what: string, exit: Exit, stderr: StderrTail): Error {
  if (exit.error) return new Error(`${cmd} could not run (${what}): ${exit.error.message}`, { cause: exit.error });
  const status = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
  return new Error(`${cmd} failed with ${status} (${what}); stderr tail:\n${stderr.toString()}`);
}

function exitOf(proc: ReturnType<typeof spawn>): Promise<Exit> {
  return new Promise((resolve) => {
    proc.once('error', (error) => resolve({ code: null, signal: null, error }));
    proc.once('close', (code, signal) => resolve({ code, signal }));
  });
}

/** Runs a command to completion and returns its stdout. */
export async function runCapture(cmd: 'ffmpeg' | 'ffprobe', args: string[], what: string): Promise<Buffer> {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  const stderr = new StderrTail();
  proc.stdout.on('data', (c: Buffer) => chunks.push(c));
  proc.stderr.on('data', (c: Buffer) => stderr.push(c));
  const exit = await exitOf(proc);
  if (exit.error || exit.code !== 0) throw failure(cmd, what, exit, stderr);
  return Buffer.concat(chunks);
}

/** Decodes `input` (after the optional filter) to raw RGB24 frames, at most `maxFrames`. */
export function decodeRgb(input: string, opts: { filter?: string; maxFrames: number; seekS?: number }): Promise<Buffer> {
  const args = ['-v', 'error', '-nostdin'];
  if (opts.seekS !== undefined) args.push('-ss', opts.seekS.toFixed(3));
  args.push('-i', input);
  if (opts.filter) args.push('-vf', opts.filter, '-fps_mode', 'passthrough');
  args.push('-frames:v', String(opts.maxFrames), '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-');
  return runCapture('ffmpeg', args, `decoding ${input}`);
}

/** The frame shown at `timeS`, as RGB24 of the given size (checked). */
export async function decodeFrameAt(input: string, timeS: number, width: number, height: number): Promise<Buffer> {
  const frame = await decodeRgb(input, { seekS: timeS, maxFrames: 1 });
  if (frame.length !== width * height * 3) {
    throw new Error(`decoding ${input} at ${timeS} s gave ${frame.length} bytes, expected ${width}x${height} RGB24`);
  }
  return frame;
}

function waitDrainOrExit(stdin: Writable, exit: Promise<Exit>): Promise<unknown> {
  return Promise.race([new Promise((resolve) => stdin.once('drain', resolve)), exit]);
}

/**
 * Encodes frames (each RGB24 of `format` size, a fresh buffer per frame since
 * the pipe may hold it until written) into an H.264 MP4 at `outPath`.
 */
export async function encodeRgbFrames(frames: Iterable<Buffer>, format: VideoFormat, outPath: string): Promise<void> {
  const { width, height, fps } = format;
  const args = [
    '-v', 'error', '-y',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(fps), '-i', '-',
    '-an', '-c:v', 'libx264', '-preset', X264_PRESET, '-crf', X264_CRF, '-pix_fmt', 'yuv420p',
    '-g', String(fps * 2), '-movflags', '+faststart', '-f', 'mp4', outPath,
  ];
  const proc = spawn('ffmpeg', args, { stdio: ['pipe', 'ignore', 'pipe'] });
  const stderr = new StderrTail();
  proc.stderr.on('data', (c: Buffer) => stderr.push(c));
  // EPIPE when ffmpeg dies early is expected; its exit status and stderr say why.
  proc.stdin.on('error', () => undefined);
  const exit = exitOf(proc);
  let exited = false;
  void exit.then(() => (exited = true));
  try {
    for (const frame of frames) {
      if (exited) break;
      if (!proc.stdin.write(frame)) await waitDrainOrExit(proc.stdin, exit);
    }
  } catch (e) {
    proc.kill('SIGKILL');
    await exit;
    throw e;
  }
  proc.stdin.end();
  const result = await exit;
  if (result.error || result.code !== 0) throw failure('ffmpeg', `encoding ${outPath}`, result, stderr);
}

export interface ProbedVideo {
  codec: string;
  width: number;
  height: number;
  frames: number;
  fps: number;
  durationS: number;
}

interface FfprobeJson {
  streams?: { codec_name?: string; width?: number; height?: number; nb_frames?: string; avg_frame_rate?: string }[];
  format?: { duration?: string };
}

function ratio(text: string | undefined): number {
  const [num, den] = (text ?? '0/1').split('/').map(Number);
  return (num ?? 0) / (den || 1);
}

/** The first video stream of `path` as ffprobe reports it. */
export async function probeVideo(path: string): Promise<ProbedVideo> {
  const out = await runCapture(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries',
      'stream=codec_name,width,height,nb_frames,avg_frame_rate:format=duration', '-of', 'json', path],
    `probing ${path}`,
  );
  const json = JSON.parse(out.toString('utf8')) as FfprobeJson;
  const s = json.streams?.[0];
  if (!s) throw new Error(`ffprobe found no video stream in ${path}`);
  return {
    codec: s.codec_name ?? '',
    width: s.width ?? 0,
    height: s.height ?? 0,
    frames: Number(s.nb_frames ?? 0),
    fps: ratio(s.avg_frame_rate),
    durationS: Number(json.format?.duration ?? 0),
  };
}
