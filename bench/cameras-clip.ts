/**
 * The camera feed of the multi-camera bench: the person-crossing test clip
 * (1280x720, 10 fps, 12 s, a person walking through) transcoded once to
 * 640x360 H.264 under .cache/bench/. It keeps the clip's 10 fps: a camera
 * streams faster than the agent analyses (detect.fps 5), so ffmpeg's fps
 * filter decimates as it does in the field. Keyframe every 2 s like the test
 * clips, so each RTSP connect starts decoding within 2 s.
 *
 * Reused while a sidecar `.key` holds the same key: a hash of the source clip's
 * generator stamp, size and mtime and of the encoder arguments (not the mtime
 * of the output: builds in this tree touch files all the time).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureClip } from '../test/support/clips.js';

const run = promisify(execFile);

export interface CameraClip {
  readonly path: string;
  readonly width: number;
  readonly height: number;
  /** Frames per second of the stream the RTSP server sends. */
  readonly fps: number;
  /** Loop length, s: the person crosses once per loop. */
  readonly loopS: number;
  /** Seconds of each loop during which the person is in view. */
  readonly personInViewS: number;
  /** True when it was transcoded in this run (not taken from the cache). */
  readonly made: boolean;
}

export const CLIP_WIDTH = 640;
export const CLIP_HEIGHT = 360;

const ENCODE = ['-an', '-vf', `scale=${CLIP_WIDTH}:${CLIP_HEIGHT}:flags=area`, '-c:v', 'libx264', '-preset', 'medium', '-g', '20', '-pix_fmt', 'yuv420p'];

export async function prepareCameraClip(root: string): Promise<CameraClip> {
  const source = await ensureClip('person-crossing');
  const dir = join(root, '.cache', 'bench');
  const path = join(dir, `person-crossing-${CLIP_WIDTH}x${CLIP_HEIGHT}.mp4`);
  const key = await cacheKey(source.path);
  const cached = (await readFile(`${path}.key`, 'utf8').catch(() => '')).trim() === key;
  if (!cached) {
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.${process.pid}.tmp.mp4`);
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', source.path, ...ENCODE, tmp], { maxBuffer: 1 << 20 });
    await rename(tmp, path);
    await writeFile(`${path}.key`, `${key}\n`);
  }
  const inView = source.truth.reduce((s, t) => s + (t.exitS - t.enterS), 0);
  return { path, width: CLIP_WIDTH, height: CLIP_HEIGHT, fps: source.fps, loopS: source.durationS, personInViewS: inView, made: !cached };
}

async function cacheKey(sourcePath: string): Promise<string> {
  const s = await stat(sourcePath);
  const stamp = await readFile(`${sourcePath}.stamp`, 'utf8').catch(() => '');
  return createHash('sha256').update(`${stamp.trim()}\0${s.size}\0${s.mtimeMs}\0${ENCODE.join(' ')}`).digest('hex').slice(0, 16);
}
