import type { Polygon } from '../core/types.js';
import { pointInPolygon } from '../core/geometry.js';
import type { Grid } from './grid.js';

/**
 * Rasterises exclusion polygons (full-frame pixels) onto the small grid once,
 * at construction, so the per-frame cost of masks is one byte test per pixel.
 * A small pixel is excluded when its bin centre lies inside any polygon.
 * Returns 1 for excluded, 0 for watched, one byte per small pixel.
 */
export function rasteriseMasks(grid: Grid, masks: readonly Polygon[]): Uint8Array {
  const { width, height, colStart, rowStart } = grid;
  const excluded = new Uint8Array(width * height);
  masks.forEach((p, i) => {
    if (p.length < 3) throw new RangeError(`motion mask ${i} needs at least 3 points, got ${p.length}`);
  });
  if (masks.length === 0) return excluded;
  for (let y = 0; y < height; y++) {
    const cy = (rowStart[y]! + rowStart[y + 1]!) / 2;
    for (let x = 0; x < width; x++) {
      const cx = (colStart[x]! + colStart[x + 1]!) / 2;
      if (masks.some((p) => pointInPolygon([cx, cy], p))) excluded[y * width + x] = 1;
    }
  }
  return excluded;
}
