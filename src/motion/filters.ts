import type { RowRange } from './grid.js';

/**
 * Small-image filters of the motion stage: box blur of the luma and binary
 * dilation of the changed mask. Both are separable 3x3 passes with the border
 * pixel replicated, written through a caller-owned scratch buffer. The edge
 * pixels are handled apart so the inner loops carry no bounds tests: these
 * passes run over the whole small image several times per frame.
 */

/** 3x3 mean of `img` (w * h) in place; suppresses sensor noise and compression blocks. */
export function boxBlur3(img: Float32Array, tmp: Float32Array, w: number, h: number): void {
  for (let y = 0; y < h; y++) sumRow3(img, tmp, y * w, w);
  for (let y = 0; y < h; y++) {
    const up = (y > 0 ? y - 1 : y) * w;
    const row = y * w;
    const down = (y < h - 1 ? y + 1 : y) * w;
    for (let x = 0; x < w; x++) img[row + x] = (tmp[up + x]! + tmp[row + x]! + tmp[down + x]!) / 9;
  }
}

/** dst[i] = src[i-1] + src[i] + src[i+1] along one row, the edge pixel counted twice. */
function sumRow3(src: Float32Array, dst: Float32Array, row: number, w: number): void {
  const last = row + w - 1;
  if (w === 1) {
    dst[row] = 3 * src[row]!;
    return;
  }
  dst[row] = 2 * src[row]! + src[row + 1]!;
  for (let i = row + 1; i < last; i++) dst[i] = src[i - 1]! + src[i]! + src[i + 1]!;
  dst[last] = src[last - 1]! + 2 * src[last]!;
}

/**
 * `iterations` 3x3 dilations of a 0/1 mask in place, over rows
 * `rows[0]..rows[1]` only: the caller guarantees every other row is clear
 * and stays clear (the range covers the set rows grown by `iterations`).
 * Reading a clamped neighbour row at the range edge is then exact, since
 * OR-ing a row with itself adds nothing. Dilation joins the fragments one
 * moving object leaves (limbs, a car's windows and body) into one
 * component, so the detector gets one region instead of several.
 */
export function dilate3(mask: Uint8Array, tmp: Uint8Array, w: number, rows: RowRange, iterations: number): void {
  const [first, last] = rows;
  for (let it = 0; it < iterations; it++) {
    for (let y = first; y <= last; y++) orRow3(mask, tmp, y * w, w);
    for (let y = first; y <= last; y++) {
      const up = (y > first ? y - 1 : y) * w;
      const row = y * w;
      const down = (y < last ? y + 1 : y) * w;
      for (let x = 0; x < w; x++) mask[row + x] = tmp[up + x]! | tmp[row + x]! | tmp[down + x]!;
    }
  }
}

/** dst[i] = src[i-1] | src[i] | src[i+1] along one row. */
function orRow3(src: Uint8Array, dst: Uint8Array, row: number, w: number): void {
  const last = row + w - 1;
  if (w === 1) {
    dst[row] = src[row]!;
    return;
  }
  dst[row] = src[row]! | src[row + 1]!;
  for (let i = row + 1; i < last; i++) dst[i] = src[i - 1]! | src[i]! | src[i + 1]!;
  dst[last] = src[last - 1]! | src[last]!;
}
