/**
 * The raw CenterNet heads: comparing NCHW heads (ONNX) with NHWC ones (TFJS),
 * and an independent JavaScript decode of heads into detections, which checks
 * the converted decoding tail (TopK, index arithmetic, gather) at any size.
 */
import { DETECTION_FIELDS, DETECTION_ROWS, HEAD_STRIDE } from './centernet.js';

/** max |a - b| between an NCHW tensor and an NHWC one of the same [H, W, C]. */
export function maxAbsDiffNchwNhwc(nchw: Float32Array, nhwc: Float32Array, h: number, w: number, c: number): number {
  if (nchw.length !== h * w * c || nhwc.length !== nchw.length) throw new Error(`head sizes differ: ${nchw.length} vs ${nhwc.length}, expected ${h * w * c}`);
  let max = 0;
  for (let ch = 0; ch < c; ch++) {
    for (let p = 0; p < h * w; p++) {
      const d = Math.abs(nchw[ch * h * w + p]! - nhwc[p * c + ch]!);
      if (d > max || Number.isNaN(d)) max = Number.isNaN(d) ? Infinity : d;
    }
  }
  return max;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
  }
  return max;
}

/**
 * CenterNet decode of NCHW heads, as the TF graph does it: keep 3x3 local
 * maxima of the class scores, take the top 100 in NHWC order ((y*W + x)*C + c),
 * box = 4 * (x, y) -/+ wh. Returns [100 x 6] rows.
 */
export function decodeHeadsNchw(keypoints: Float32Array, wh: Float32Array, grid: number, classes: number): Float32Array {
  const plane = grid * grid;
  const peaks: { score: number; index: number }[] = [];
  for (let c = 0; c < classes; c++) {
    for (let y = 0; y < grid; y++) {
      for (let x = 0; x < grid; x++) {
        const v = keypoints[c * plane + y * grid + x]!;
        if (v > 0 && isPeak(keypoints, c * plane, grid, x, y, v)) peaks.push({ score: v, index: (y * grid + x) * classes + c });
      }
    }
  }
  peaks.sort((a, b) => b.score - a.score || a.index - b.index);
  const rows = new Float32Array(DETECTION_ROWS * DETECTION_FIELDS);
  peaks.slice(0, DETECTION_ROWS).forEach((p, r) => {
    const cell = Math.floor(p.index / classes);
    const [x, y] = [cell % grid, Math.floor(cell / grid)];
    const at = (k: number) => wh[k * plane + cell]!;
    rows.set([x * HEAD_STRIDE - at(0), y * HEAD_STRIDE - at(1), x * HEAD_STRIDE + at(2), y * HEAD_STRIDE + at(3), p.score, p.index % classes], r * DETECTION_FIELDS);
  });
  return rows;
}

function isPeak(k: Float32Array, base: number, grid: number, x: number, y: number, v: number): boolean {
  for (let dy = -1; dy <= 1; dy++) {
    for (let dx = -1; dx <= 1; dx++) {
      const yy = y + dy;
      const xx = x + dx;
      if (yy < 0 || xx < 0 || yy >= grid || xx >= grid) continue;
      if (k[base + yy * grid + xx]! > v) return false;
    }
  }
  return true;
}
