/**
 * Raster primitives for making test clips: packed RGB24 / RGBA frames, a seeded
 * PRNG, sensor noise and soft light shapes. Everything writes through a
 * Uint8ClampedArray view so out-of-range sums saturate instead of wrapping.
 */

/** Packed RGB24, row-major, `data.length === width * height * 3`. */
export interface RgbImage {
  width: number;
  height: number;
  data: Buffer;
}

/** Packed RGBA (straight alpha), `data.length === width * height * 4`. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Buffer;
}

export type Rand = () => number;

export { mulberry32 } from '../../src/core/random.js';

export function clamped(buf: Buffer): Uint8ClampedArray {
  return new Uint8ClampedArray(buf.buffer, buf.byteOffset, buf.length);
}

export function copyImage(img: RgbImage): RgbImage {
  return { width: img.width, height: img.height, data: Buffer.from(img.data) };
}

/**
 * Sensor noise, precomputed once per clip: `terms` uniform integers in
 * [-step, step] summed, so the range is +-(terms*step) and the shape tends to a
 * bell as terms grow. Each frame reads the pool from a random offset (see
 * addNoise), which costs one add per sample instead of a PRNG call.
 */
export interface NoisePool {
  values: Int8Array;
  /** How many samples one frame consumes. */
  frameSamples: number;
}

const NOISE_SLACK = 1 << 16; // extra samples so each frame can start at a random offset

export function makeNoisePool(rand: Rand, frameSamples: number, step: number, terms: number): NoisePool {
  const values = new Int8Array(frameSamples + NOISE_SLACK);
  const span = 2 * step + 1;
  for (let i = 0; i < values.length; i++) {
    let v = 0;
    for (let k = 0; k < terms; k++) v += Math.floor(rand() * span) - step;
    values[i] = v;
  }
  return { values, frameSamples };
}

/** Independent noise per channel (colour sensor). Pool built with frameSamples = w*h*3. */
export function addNoise(frame: Buffer, pool: NoisePool, rand: Rand): void {
  const out = clamped(frame);
  const off = Math.floor(rand() * NOISE_SLACK);
  const v = pool.values;
  for (let i = 0; i < out.length; i++) out[i] = (out[i] ?? 0) + (v[off + i] ?? 0);
}

/** Same noise on R, G and B (monochrome IR sensor). Pool built with frameSamples = w*h. */
export function addGreyNoise(frame: Buffer, pool: NoisePool, rand: Rand): void {
  const out = clamped(frame);
  const off = Math.floor(rand() * NOISE_SLACK);
  const v = pool.values;
  for (let p = 0, i = 0; i < out.length; p++, i += 3) {
    const n = v[off + p] ?? 0;
    out[i] = (out[i] ?? 0) + n;
    out[i + 1] = (out[i + 1] ?? 0) + n;
    out[i + 2] = (out[i + 2] ?? 0) + n;
  }
}

/** Every channel times `factor`, saturating: lights switched on (factor > 1). */
export function scaleBrightness(img: RgbImage, factor: number): RgbImage {
  const data = Buffer.alloc(img.data.length);
  const out = clamped(data);
  for (let i = 0; i < out.length; i++) out[i] = (img.data[i] ?? 0) * factor;
  return { width: img.width, height: img.height, data };
}

/** Rec.601 luma times `factor`, written to all three channels: an IR night image. */
export function toGrey(img: RgbImage, factor: number): RgbImage {
  const data = Buffer.alloc(img.data.length);
  const out = clamped(data);
  const src = img.data;
  for (let i = 0; i < src.length; i += 3) {
    const y = (0.299 * (src[i] ?? 0) + 0.587 * (src[i + 1] ?? 0) + 0.114 * (src[i + 2] ?? 0)) * factor;
    out[i] = y;
    out[i + 1] = y;
    out[i + 2] = y;
  }
  return { width: img.width, height: img.height, data };
}

/** Alpha-composites `sprite` with its top-left at (x, y); parts outside the frame are clipped. */
export function blit(frame: RgbImage, sprite: RgbaImage, x: number, y: number): void {
  const x0 = Math.max(0, x);
  const y0 = Math.max(0, y);
  const x1 = Math.min(frame.width, x + sprite.width);
  const y1 = Math.min(frame.height, y + sprite.height);
  const dst = frame.data;
  const src = sprite.data;
  for (let fy = y0; fy < y1; fy++) {
    let s = ((fy - y) * sprite.width + (x0 - x)) * 4;
    let d = (fy * frame.width + x0) * 3;
    for (let fx = x0; fx < x1; fx++, s += 4, d += 3) {
      const a = src[s + 3] ?? 0;
      if (a === 0) continue;
      for (let c = 0; c < 3; c++) {
        const under = dst[d + c] ?? 0;
        dst[d + c] = under + Math.round((((src[s + c] ?? 0) - under) * a) / 255);
      }
    }
  }
}

/** Calls `fn(offset, weight)` for each pixel of an ellipse, weight = (1 - r^2)^2 (soft edge, bright core). */
function forEachSoftEllipse(
  img: RgbImage,
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  fn: (offset: number, weight: number) => void,
): void {
  const x0 = Math.max(0, Math.floor(cx - rx));
  const x1 = Math.min(img.width - 1, Math.ceil(cx + rx));
  const y0 = Math.max(0, Math.floor(cy - ry));
  const y1 = Math.min(img.height - 1, Math.ceil(cy + ry));
  for (let y = y0; y <= y1; y++) {
    const dy = (y - cy) / ry;
    for (let x = x0; x <= x1; x++) {
      const dx = (x - cx) / rx;
      const r2 = dx * dx + dy * dy;
      if (r2 >= 1) continue;
      const w = 1 - r2;
      fn((y * img.width + x) * 3, w * w);
    }
  }
}

/** A defocused bright blob: each pixel pulled towards `peak` by the soft weight. */
export function drawSoftBlob(img: RgbImage, cx: number, cy: number, radius: number, peak: number): void {
  const out = clamped(img.data);
  forEachSoftEllipse(img, cx, cy, radius, radius, (i, w) => {
    for (let c = 0; c < 3; c++) out[i + c] = (out[i + c] ?? 0) + (peak - (out[i + c] ?? 0)) * w;
  });
}

/** Additive light, `amount` levels at the centre fading to 0 at the rim: a headlight beam on a wall. */
export function addSoftEllipse(img: RgbImage, cx: number, cy: number, rx: number, ry: number, amount: number): void {
  const out = clamped(img.data);
  forEachSoftEllipse(img, cx, cy, rx, ry, (i, w) => {
    for (let c = 0; c < 3; c++) out[i + c] = (out[i + c] ?? 0) + amount * w;
  });
}

/**
 * Straight-alpha RGBA from RGB with a rectangular alpha that ramps 0 -> 255 over
 * `rampPx` at each edge: a cut-out photo whose border does not make a hard line.
 */
export function featheredRect(rgb: RgbImage, rampPx: number): RgbaImage {
  const { width, height } = rgb;
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const edge = Math.min(x + 1, y + 1, width - x, height - y);
      const s = (y * width + x) * 3;
      const d = (y * width + x) * 4;
      data[d] = rgb.data[s] ?? 0;
      data[d + 1] = rgb.data[s + 1] ?? 0;
      data[d + 2] = rgb.data[s + 2] ?? 0;
      data[d + 3] = Math.round(255 * Math.min(1, edge / rampPx));
    }
  }
  return { width, height, data };
}
