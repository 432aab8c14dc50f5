/**
 * Real model inputs from the packaged footage: frames decoded by ffmpeg
 * (one process per set), then square crops resized to the model size with
 * sharp. Full frames are squashed to the square; crops are what the agent
 * really feeds the detector (square regions around motion).
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { mulberry32 } from '../core/random.js';

const run = promisify(execFile);

export interface RgbImage {
  readonly rgb: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** One model input: size x size RGB, row-major HWC, plus where it came from. */
export interface ModelInput {
  readonly label: string;
  readonly rgb: Uint8Array;
  readonly size: number;
}

export interface FrameSetSpec {
  /** Video file (the footage from scripts/fetch-footage.sh). */
  readonly video: string;
  /** Frame numbers to decode (0-based). */
  readonly frames: readonly number[];
  /** Random square crops per frame, besides the whole frame. */
  readonly cropsPerFrame: number;
  /** Smallest crop side, pixels; the largest is the frame height. */
  readonly minCrop: number;
  /** PRNG seed for the crops, so a set is the same on every run. */
  readonly seed: number;
}

export async function videoSize(video: string): Promise<{ width: number; height: number }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', video]);
  const [width, height] = stdout.trim().split(',').map(Number);
  if (!width || !height) throw new Error(`ffprobe found no video stream size in ${video}`);
  return { width, height };
}

/** Decodes the listed frames as RGB24 in one ffmpeg run. */
export async function decodeFrames(video: string, frames: readonly number[]): Promise<RgbImage[]> {
  const { width, height } = await videoSize(video);
  const select = frames.map((n) => `eq(n\\,${n})`).join('+');
  const args = ['-v', 'error', '-i', video, '-vf', `select='${select}'`, '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
  const bytes = await collect('ffmpeg', args);
  const frameBytes = width * height * 3;
  if (bytes.length !== frameBytes * frames.length) {
    throw new Error(`ffmpeg returned ${bytes.length / frameBytes} of ${frames.length} frames from ${video} (is it ${frames.at(-1)}+ frames long?)`);
  }
  return frames.map((_, i) => ({ rgb: bytes.subarray(i * frameBytes, (i + 1) * frameBytes), width, height }));
}

function collect(cmd: string, args: readonly string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`${cmd} exited ${code}: ${err.trim().slice(-400)}`))));
  });
}

export interface Crop {
  readonly left: number;
  readonly top: number;
  readonly side: number;
}

/** Deterministic square crops inside width x height. */
export function randomCrops(width: number, height: number, count: number, minSide: number, random: () => number): Crop[] {
  const maxSide = Math.min(width, height);
  return Array.from({ length: count }, () => {
    const side = Math.round(minSide + random() * (maxSide - minSide));
    return { left: Math.floor(random() * (width - side + 1)), top: Math.floor(random() * (height - side + 1)), side };
  });
}

async function resizeRegion(image: RgbImage, region: { left: number; top: number; width: number; height: number }, size: number): Promise<Uint8Array> {
  const raw = { width: image.width, height: image.height, channels: 3 as const };
  const out = await sharp(image.rgb, { raw }).extract(region).resize(size, size, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** The whole frame (squashed) and `cropsPerFrame` random square crops of each listed frame, at size x size. */
export async function buildInputs(spec: FrameSetSpec, size: number): Promise<ModelInput[]> {
  const images = await decodeFrames(spec.video, spec.frames);
  const random = mulberry32(spec.seed);
  const inputs: ModelInput[] = [];
  for (const [i, image] of images.entries()) {
    const n = spec.frames[i]!;
    inputs.push({ label: `frame ${n}`, size, rgb: await resizeRegion(image, { left: 0, top: 0, width: image.width, height: image.height }, size) });
    for (const c of randomCrops(image.width, image.height, spec.cropsPerFrame, spec.minCrop, random)) {
      const rgb = await resizeRegion(image, { left: c.left, top: c.top, width: c.side, height: c.side }, size);
      inputs.push({ label: `frame ${n} crop ${c.side}@${c.left},${c.top}`, size, rgb });
    }
  }
  return inputs;
}

/** RGB HWC bytes -> float32 CHW (0..255), the ONNX model's `images` layout. */
export function toNchw(rgb: Uint8Array, size: number): Float32Array {
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    out[p] = rgb[p * 3]!;
    out[plane + p] = rgb[p * 3 + 1]!;
    out[2 * plane + p] = rgb[p * 3 + 2]!;
  }
  return out;
}
