/**
 * Where the detector looks. Resizing a whole 1280x720 frame to the model's
 * 512x512 shrinks a 40 px far-away person to 16 px, below what the model finds;
 * a square crop at model resolution around the motion keeps it at 40 px.
 * Crops come from motion boxes and from tracked objects' predicted boxes (so a
 * person who stops moving is still followed), clustered so that nearby boxes
 * share one crop.
 */
import { boxArea, boxHeight, boxWidth, containment, iou, unionBox } from '../core/geometry.js';
import type { Box, Detection } from '../core/types.js';

export interface RegionOptions {
  readonly frameWidth: number;
  readonly frameHeight: number;
  /** The model's input side, pixels: the smallest crop. */
  readonly modelSize: number;
  /** Crop side as a multiple of the clustered boxes' longer side. */
  readonly padding: number;
  /** Most crops per frame; past it the whole frame is one region. */
  readonly maxRegions: number;
}

/** Square crops (frame pixels, inside the frame) covering every box of interest. */
export function planRegions(motion: readonly Box[], tracked: readonly Box[], opts: RegionOptions): Box[] {
  const wanted = [...tracked, ...motion];
  if (wanted.length === 0) return [];
  const maxSide = Math.min(opts.frameWidth, opts.frameHeight);
  const clusters: Box[] = [];
  for (const b of wanted) {
    // Merge when one crop for both is at most MERGE_SLACK times the larger of the two:
    // shrinking a crop by 1.3x costs less than a second inference.
    const i = clusters.findIndex((c) => cropSide(unionBox(c, b), opts) <= MERGE_SLACK * Math.max(cropSide(c, opts), cropSide(b, opts)));
    if (i >= 0) clusters[i] = unionBox(clusters[i]!, b);
    else clusters.push(b);
  }
  const regions = mergeCovered(clusters.map((c) => squareAround(c, opts)));
  const whole: Box = [0, 0, opts.frameWidth, opts.frameHeight];
  if (regions.length > opts.maxRegions) return [whole];
  // Two crops cost two inferences; when the whole frame is barely larger than the
  // model input (768x576 into 512: x1.5), one whole-frame pass loses little detail.
  const shrink = Math.max(opts.frameWidth, opts.frameHeight) / opts.modelSize;
  return regions.length >= 2 && shrink <= WHOLE_FRAME_MAX_SHRINK ? [whole] : regions;
}

/** How much larger than either crop a merged crop may be. */
const MERGE_SLACK = 1.3;

/** Largest downscale of the whole frame accepted to save a second crop's inference. */
const WHOLE_FRAME_MAX_SHRINK = 1.6;

function cropSide(b: Box, opts: RegionOptions): number {
  return Math.max(opts.modelSize, Math.max(boxWidth(b), boxHeight(b)) * opts.padding);
}

/** A square of the crop side centred on the box, shifted to lie inside the frame. */
function squareAround(b: Box, opts: RegionOptions): Box {
  const maxSide = Math.min(opts.frameWidth, opts.frameHeight);
  const side = Math.min(maxSide, Math.round(cropSide(b, opts)));
  const cx = (b[0] + b[2]) / 2;
  const cy = (b[1] + b[3]) / 2;
  const x1 = Math.round(Math.max(0, Math.min(opts.frameWidth - side, cx - side / 2)));
  const y1 = Math.round(Math.max(0, Math.min(opts.frameHeight - side, cy - side / 2)));
  const big = Math.max(boxWidth(b), boxHeight(b)) * opts.padding > maxSide;
  return big ? [0, 0, opts.frameWidth, opts.frameHeight] : [x1, y1, x1 + side, y1 + side];
}

/** Drops crops that lie (almost) entirely inside another crop. */
function mergeCovered(regions: Box[]): Box[] {
  return regions.filter((r, i) => !regions.some((o, j) => j !== i && containment(r, o) > 0.95 && (containment(o, r) < 0.95 || j < i)));
}

/**
 * Merges detections from overlapping crops: the same object seen twice becomes
 * one. An object cut by a crop's edge gives a partial box mostly inside the
 * full one, often with as high a score (measured: a bus at 0.88 cut in half vs
 * 0.87 whole): the LARGER box is kept then, with the higher score, so the
 * tracker follows the object and not the crop edge.
 */
export function mergeDetections(perRegion: readonly Detection[][], iouThreshold = 0.45): Detection[] {
  const all = perRegion.flatMap((ds, region) => ds.map((d) => ({ d, region }))).sort((a, b) => b.d.score - a.d.score);
  const kept: { d: Detection; region: number }[] = [];
  for (const c of all) {
    const i = kept.findIndex((k) => sameObject(k, c, iouThreshold));
    if (i < 0) kept.push(c);
    else if (boxArea(c.d.box) > boxArea(kept[i]!.d.box) && c.d.label === kept[i]!.d.label) {
      kept[i] = { d: { ...c.d, score: kept[i]!.d.score }, region: c.region };
    }
  }
  return kept.map((k) => k.d);
}

/** Boxes this similar are one object even under two labels (the model says car and truck for one van). */
const CROSS_LABEL_IOU = 0.7;

function sameObject(a: { d: Detection; region: number }, b: { d: Detection; region: number }, iouThreshold: number): boolean {
  if (a.d.label !== b.d.label) return iou(a.d.box, b.d.box) > CROSS_LABEL_IOU;
  if (iou(a.d.box, b.d.box) > iouThreshold) return true;
  // Within one crop the model already ran its own suppression: two boxes there are two objects.
  return a.region !== b.region && (containment(a.d.box, b.d.box) > 0.8 || containment(b.d.box, a.d.box) > 0.8);
}
