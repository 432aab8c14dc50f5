/**
 * Output decoders: raw model output → detections in frame pixels. Pure, so
 * they are tested without a runtime. Three families cover the detectors fleet
 * managers ship: CenterNet-style rows [x1,y1,x2,y2,score,class]; YOLO-style
 * [1, N, 4+C] or [1, 4+C, N] (optionally with objectness, [4+1+C]); and
 * SSD-style separate boxes / scores / classes tensors.
 */
import { iou } from '../core/geometry.js';
import type { Box, Detection } from '../core/types.js';
import type { ModelManifest } from './manifest.js';

export interface DecodeContext {
  /** The region of the frame the model saw, frame pixels. */
  readonly region: Box;
  readonly inputWidth: number;
  readonly inputHeight: number;
  readonly labels: readonly string[];
  readonly minScore: number;
  readonly coordinates: 'input-pixels' | 'normalized';
}

export interface OutputTensor {
  readonly data: ArrayLike<number>;
  readonly dims: readonly number[];
}

/** Most detections kept per region after NMS. */
const MAX_DETECTIONS = 100;

/** Decodes a model's outputs (by tensor name) as its manifest says. */
export function decodeOutputs(outputs: Readonly<Record<string, OutputTensor>>, manifest: ModelManifest, at: { region: Box; minScore: number }): Detection[] {
  const o = manifest.output;
  const ctx: DecodeContext = {
    region: at.region,
    inputWidth: manifest.input.width,
    inputHeight: manifest.input.height,
    labels: manifest.labels,
    minScore: at.minScore,
    coordinates: o.coordinates,
  };
  const get = (name: string): OutputTensor => {
    const t = outputs[name];
    if (!t) throw new Error(`model output ${name} missing`);
    return t;
  };
  switch (o.decoder) {
    case 'detections-xyxy-score-class':
      return decodeXyxyScoreClass(get(o.tensor).data, ctx);
    case 'yolo':
      return decodeYolo(get(o.tensor), ctx, { objectness: o.objectness ?? false, iouThreshold: o.iouThreshold ?? 0.45 });
    case 'ssd':
      return decodeSsd(get(o.tensor), get(o.scores ?? ''), get(o.classes ?? ''), ctx, o.classOffset ?? 0);
  }
}

/** Rows of [x1, y1, x2, y2, score, classIndex], as CenterNet's `detections` head emits. */
export function decodeXyxyScoreClass(data: ArrayLike<number>, ctx: DecodeContext): Detection[] {
  const out: Detection[] = [];
  for (let i = 0; i + 6 <= data.length; i += 6) {
    const d = make(ctx, data[i]!, data[i + 1]!, data[i + 2]!, data[i + 3]!, data[i + 4]!, data[i + 5]!);
    if (d) out.push(d);
  }
  return out;
}

/**
 * YOLO heads: per candidate [cx, cy, w, h, (objectness,) class scores...],
 * either as rows [1, N, K] (YOLOv5) or columns [1, K, N] (YOLOv8); K = 4 + C
 * (+1 with objectness). Per-class NMS follows, as these heads emit raw candidates.
 */
export function decodeYolo(t: OutputTensor, ctx: DecodeContext, opts: { objectness: boolean; iouThreshold: number }): Detection[] {
  const k = 4 + (opts.objectness ? 1 : 0) + ctx.labels.length;
  const [, a = 0, b = 0] = t.dims;
  if (t.dims.length !== 3 || (a !== k && b !== k)) {
    throw new Error(`YOLO output dims [${t.dims.join(',')}] do not fit 4${opts.objectness ? '+1' : ''}+${ctx.labels.length} values per candidate`);
  }
  const rows = b === k;
  const n = rows ? a : b;
  const at = (cand: number, j: number): number => t.data[rows ? cand * k + j : j * n + cand]!;
  const found: Detection[] = [];
  const first = opts.objectness ? 5 : 4;
  for (let c = 0; c < n; c++) {
    let best = -1;
    let score = -Infinity;
    for (let j = first; j < k; j++) if (at(c, j) > score) [best, score] = [j - first, at(c, j)];
    if (opts.objectness) score *= at(c, 4);
    if (!(score >= ctx.minScore)) continue;
    const [cx, cy, w, h] = [at(c, 0), at(c, 1), at(c, 2), at(c, 3)];
    const d = make(ctx, cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, score, best);
    if (d) found.push(d);
  }
  return nms(found, opts.iouThreshold);
}

/** SSD heads: boxes [1, N, 4] as y1, x1, y2, x2; scores [1, N]; classes [1, N] (+ classOffset = label index). */
export function decodeSsd(boxes: OutputTensor, scores: OutputTensor, classes: OutputTensor, ctx: DecodeContext, classOffset: number): Detection[] {
  const n = scores.data.length;
  if (boxes.data.length !== n * 4 || classes.data.length !== n) {
    throw new Error(`SSD outputs disagree: ${boxes.data.length / 4} boxes, ${n} scores, ${classes.data.length} classes`);
  }
  const out: Detection[] = [];
  for (let i = 0; i < n; i++) {
    const [y1, x1, y2, x2] = [boxes.data[i * 4]!, boxes.data[i * 4 + 1]!, boxes.data[i * 4 + 2]!, boxes.data[i * 4 + 3]!];
    const d = make(ctx, x1, y1, x2, y2, scores.data[i]!, classes.data[i]! + classOffset);
    if (d) out.push(d);
  }
  return out.sort((p, q) => q.score - p.score).slice(0, MAX_DETECTIONS);
}

/** One detection from model-space corners, or null when filtered out. */
function make(ctx: DecodeContext, x1: number, y1: number, x2: number, y2: number, score: number, cls: number): Detection | null {
  if (!(score >= ctx.minScore) || !Number.isInteger(cls)) return null;
  const label = ctx.labels[cls];
  if (label === undefined) return null;
  const [rx1, ry1, rx2, ry2] = ctx.region;
  const sx = (rx2 - rx1) / (ctx.coordinates === 'normalized' ? 1 : ctx.inputWidth);
  const sy = (ry2 - ry1) / (ctx.coordinates === 'normalized' ? 1 : ctx.inputHeight);
  const box: Box = [
    clamp(rx1 + x1 * sx, rx1, rx2),
    clamp(ry1 + y1 * sy, ry1, ry2),
    clamp(rx1 + x2 * sx, rx1, rx2),
    clamp(ry1 + y2 * sy, ry1, ry2),
  ];
  if (box[2] - box[0] < 1 || box[3] - box[1] < 1) return null;
  return { box, score, label };
}

function nms(dets: Detection[], threshold: number): Detection[] {
  const kept: Detection[] = [];
  for (const d of dets.sort((a, b) => b.score - a.score)) {
    if (kept.length >= MAX_DETECTIONS) break;
    if (!kept.some((k) => k.label === d.label && iou(k.box, d.box) > threshold)) kept.push(d);
  }
  return kept;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
