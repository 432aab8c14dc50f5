/**
 * A reference clip as the bench uses it: probed, cut to its first N seconds
 * (stream copy into a temp file, so decoding cost is the original codec's), and
 * the detect size and fps the pipeline would use on it with the default config.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { promisify } from 'node:util';
import { detectSize } from '../src/camera/detect-size.js';
import type { CameraConfig } from '../src/config/schema.js';
import { AgentError } from '../src/core/errors.js';
import { probeInput, type ProbeResult } from '../src/video/probe.js';

const run = promisify(execFile);

export interface BenchClip {
  /** Short name for the report, e.g. "vtest.avi 0-20s". */
  readonly label: string;
  /** The file as given. */
  readonly source: string;
  /** The file the bench reads: the cut copy, or the source when it is short enough. */
  readonly path: string;
  /** The source's probe (size, fps, codec, full duration). */
  readonly probe: ProbeResult;
  /** Seconds actually used. */
  readonly durationS: number;
  /** Size of the frames the pipeline works on. */
  readonly width: number;
  readonly height: number;
  /** Frames analysed per second (the camera's detect.fps). */
  readonly fps: number;
}

export async function prepareClip(source: string, seconds: number, tmpDir: string, camera: CameraConfig): Promise<BenchClip> {
  if (!existsSync(source)) {
    throw new AgentError('INPUT_NOT_FOUND', `clip ${source} not found`, { hint: 'bash scripts/fetch-footage.sh makes the walkway footage' });
  }
  const probe = await probeInput(source);
  const full = probe.durationS ?? Infinity;
  const cut = full > seconds + 0.05;
  const path = cut ? join(tmpDir, `cut-${basename(source)}`) : source;
  if (cut) await cutClip(source, seconds, path);
  const durationS = cut ? ((await probeInput(path)).durationS ?? seconds) : full;
  const size = detectSize(camera, probe.width, probe.height);
  const name = basename(source, extname(source));
  const label = cut ? `${name} 0-${seconds}s` : `${name} ${Math.round(durationS * 10) / 10}s`;
  return { label, source, path, probe, durationS, width: size.width, height: size.height, fps: camera.detect.fps };
}

/** Stream copy of the first `seconds` (cuts at packet boundaries, no re-encode). */
async function cutClip(source: string, seconds: number, out: string): Promise<void> {
  const args = ['-hide_banner', '-loglevel', 'error', '-y', '-t', String(seconds), '-i', source, '-map', '0:v:0', '-c', 'copy', out];
  await run('ffmpeg', args, { maxBuffer: 1 << 20 });
}
