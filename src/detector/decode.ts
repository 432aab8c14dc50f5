/**
 * Output decoders: raw model output → detections in frame pixels. Pure, so
 * they are tested without a runtime.
 */
import type { Box, Detection } from '../core/types.js';

export interface DecodeContext {
  /** The region of the frame the model saw, frame pixels. */
  readonly region: Box;
  readonly inputWidth: number;
  readonly inputHeight: number;
  readonly labels: readonly string[];
  readonly minScore: number;
  readonly coordinates: 'input-pixels' | 'normalized';
}

/** Rows of [x1, y1, x2, y2, score, classIndex], as CenterNet's `detections` head emits. */
export function decodeXyxyScoreClass(data: ArrayLike<number>, ctx: DecodeContext): Detection[] {
  const out: Detection[] = [];
  const [rx1, ry1, rx2, ry2] = ctx.region;
  const sx = (rx2 - rx1) / (ctx.coordinates === 'normalized' ? 1 : ctx.inputWidth);
  const sy = (ry2 - ry1) / (ctx.coordinates === 'normalized' ? 1 : ctx.inputHeight);
  for (let i = 0; i + 6 <= data.length; i += 6) {
    const score = data[i + 4]!;
    const cls = data[i + 5]!;
    if (!(score >= ctx.minScore) || !Number.isInteger(cls)) continue;
    const label = ctx.labels[cls];
    if (label === undefined) continue;
    const box: Box = [
      clamp(rx1 + data[i]! * sx, rx1, rx2),
      clamp(ry1 + data[i + 1]! * sy, ry1, ry2),
      clamp(rx1 + data[i + 2]! * sx, rx1, rx2),
      clamp(ry1 + data[i + 3]! * sy, ry1, ry2),
    ];
    if (box[2] - box[0] < 1 || box[3] - box[1] < 1) continue;
    out.push({ box, score, label });
  }
  return out;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
