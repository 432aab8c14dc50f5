/**
 * The mapping between full-frame pixels and the small motion image. Each small
 * pixel is a bin of whole source pixels; bins differ in size by at most one
 * pixel per axis, so area averaging needs no fractional weights and a small
 * box maps back to exact full-frame bounds.
 */
export interface Grid {
  readonly frameWidth: number;
  readonly frameHeight: number;
  /** Small image size in pixels. */
  readonly width: number;
  readonly height: number;
  /** colStart[x]..colStart[x+1] are the source columns of small column x (length width + 1). */
  readonly colStart: Int32Array;
  /** rowStart[y]..rowStart[y+1] are the source rows of small row y (length height + 1). */
  readonly rowStart: Int32Array;
}

/** Inclusive range of small-image rows [first, last]. */
export type RowRange = readonly [number, number];

/** Bins of `size` pixels spread evenly over `count` bins. */
function binStarts(size: number, count: number): Int32Array {
  const starts = new Int32Array(count + 1);
  for (let i = 0; i <= count; i++) starts[i] = Math.floor((i * size) / count);
  return starts;
}

/** Grid for a frame scaled to `height` rows (never upscaled), width keeping the aspect. */
export function makeGrid(frameWidth: number, frameHeight: number, height: number): Grid {
  if (!Number.isInteger(frameWidth) || !Number.isInteger(frameHeight) || frameWidth < 1 || frameHeight < 1) {
    throw new RangeError(`motion frame size must be positive integers, got ${frameWidth}x${frameHeight}`);
  }
  const h = Math.min(height, frameHeight);
  const w = Math.min(frameWidth, Math.max(1, Math.round((frameWidth * h) / frameHeight)));
  return {
    frameWidth,
    frameHeight,
    width: w,
    height: h,
    colStart: binStarts(frameWidth, w),
    rowStart: binStarts(frameHeight, h),
  };
}
