/**
 * Decode-only throughput: the pipeline's own ffmpeg command line with nothing
 * behind it. "ffmpeg only" counts bytes off the pipe (the ceiling ffmpeg sets);
 * "frame source" runs FfmpegFrameSource (probe, frame assembly, bounded queue,
 * async iteration) and counts frames, which is what analyze() sees.
 */
import { spawn } from 'node:child_process';
import type { Frame } from '../src/core/types.js';
import { buildFfmpegArgs } from '../src/video/ffmpeg-args.js';
import { FfmpegFrameSource } from '../src/video/ffmpeg-source.js';
import type { BenchClip } from './clip.js';
import { memory, type MemorySample } from './stats.js';

export interface DecodeResult {
  readonly frames: number;
  readonly seconds: number;
  readonly fps: number;
  /** Memory right after the phase. */
  readonly memory: MemorySample;
}

export async function decodeFfmpegOnly(clip: BenchClip): Promise<DecodeResult> {
  const args = buildFfmpegArgs({ input: clip.path, width: clip.width, height: clip.height, fps: clip.fps, live: false, rtspTransport: 'tcp', socketTimeoutS: 10 });
  const frameBytes = clip.width * clip.height * 3;
  const t0 = performance.now();
  const child = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let bytes = 0;
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (bytes += chunk.length));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => (stderr = (stderr + text).slice(-2000)));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`ffmpeg exited with ${code} on ${clip.path}: ${stderr.trim() || 'no error output'}`);
  const frames = Math.floor(bytes / frameBytes);
  return { frames, seconds, fps: frames / seconds, memory: memory() };
}

/** Runs the project's frame source to the end; keeps up to `keep` frames spread over the clip for the detector phase. */
export async function decodeFrameSource(clip: BenchClip, keep: number): Promise<{ result: DecodeResult; kept: Frame[] }> {
  const source = new FfmpegFrameSource({ input: clip.path, width: clip.width, height: clip.height, fps: clip.fps });
  const expected = Math.max(1, Math.round(clip.durationS * clip.fps));
  const every = Math.max(1, Math.floor(expected / keep));
  const kept: Frame[] = [];
  let frames = 0;
  const t0 = performance.now();
  for await (const frame of source.frames()) {
    // Each frame is a fresh buffer (FrameAssembler), so keeping it needs no copy.
    if (frame.index % every === 0 && kept.length < keep) kept.push(frame);
    frames++;
  }
  const seconds = (performance.now() - t0) / 1000;
  return { result: { frames, seconds, fps: frames / seconds, memory: memory() }, kept };
}
