/**
 * Shared value types of the pipeline. Coordinates are always pixels of the
 * frame as the pipeline sees it (the configured detect size), origin top-left.
 */

/** Axis-aligned box [x1, y1, x2, y2] in frame pixels, x2 > x1, y2 > y1. */
export type Box = readonly [number, number, number, number];

/** A point [x, y] in frame pixels. */
export type Point = readonly [number, number];

/** A closed polygon in frame pixels (at least 3 points). */
export type Polygon = readonly Point[];

/** One decoded video frame: packed RGB24, row-major, no padding. */
export interface Frame {
  /** 0-based index of the frame among the frames delivered at the configured fps. */
  readonly index: number;
  /** Presentation time in seconds from the start of the input. */
  readonly tS: number;
  readonly width: number;
  readonly height: number;
  /** width * height * 3 bytes. */
  readonly rgb: Uint8Array;
}

/** One object found by the detector, already mapped to frame pixels. */
export interface Detection {
  readonly box: Box;
  readonly score: number;
  /** COCO label name, e.g. "person", "car". */
  readonly label: string;
}

/** What the motion stage says about one frame. */
export interface MotionResult {
  /** Boxes of moving regions in frame pixels (after masks), largest first. */
  readonly boxes: Box[];
  /** Fraction (0..1) of the unmasked downscaled frame that changed. */
  readonly changedFraction: number;
  /** True while the background model is (re)learning; boxes are empty then. */
  readonly calibrating: boolean;
  /** True on the frame where a global light change was seen (lights, IR switch, headlights). */
  readonly lightChange: boolean;
}
