/**
 * The named input sets. Calibration takes even frame numbers and evaluation
 * odd ones, so int8 is never judged on the frames it was calibrated on.
 * vtest.avi: 795 frames at 10 fps (79.5 s), 768x576, pedestrians on a walkway.
 */
import type { FrameSetSpec } from './frames.js';

export const FOOTAGE = '.cache/footage/vtest.avi';
const LAST_FRAME = 794;

/** TFJS vs ORT fp32: 8 frames across the clip, each whole and as one crop (16 inputs). */
export const VERIFY_SET: FrameSetSpec = { video: FOOTAGE, frames: [11, 111, 211, 311, 411, 511, 611, 711], cropsPerFrame: 1, minCrop: 256, seed: 7 };

/** Inputs made per calibration frame: the whole frame and two crops. */
export const CALIBRATION_PER_FRAME = 3;

/** Calibration for int8: ceil(inputs / 3) even-numbered frames spread over the clip, each whole and as 2 crops. */
export function calibrationSet(inputs: number): FrameSetSpec {
  const count = Math.ceil(inputs / CALIBRATION_PER_FRAME);
  const evens = Math.floor(LAST_FRAME / 2) + 1;
  if (count > evens) throw new Error(`at most ${evens * CALIBRATION_PER_FRAME} calibration inputs (the clip has ${evens} even frames)`);
  const frames = Array.from({ length: count }, (_, k) => 2 * Math.floor((k * evens) / count));
  return { video: FOOTAGE, frames, cropsPerFrame: CALIBRATION_PER_FRAME - 1, minCrop: 224, seed: 1 };
}

/** int8 vs fp32: 40 odd-numbered frames, each whole and as 1 crop (80 inputs). */
export const EVAL_SET: FrameSetSpec = { video: FOOTAGE, frames: Array.from({ length: 40 }, (_, k) => 13 + 20 * k), cropsPerFrame: 1, minCrop: 256, seed: 3 };

/**
 * int8 vs fp32, a second look: 40 other odd-numbered frames, each whole and as
 * 2 smaller crops (120 inputs). The quantizer's choices (GPTQ, which layers
 * stay float) were compared on EVAL_SET; this set played no part in them.
 */
export const CHECK_SET: FrameSetSpec = { video: FOOTAGE, frames: Array.from({ length: 40 }, (_, k) => 3 + 20 * k), cropsPerFrame: 2, minCrop: 200, seed: 9 };
