import type { Box, Point, Polygon } from './types.js';

export function boxWidth(b: Box): number {
  return b[2] - b[0];
}

export function boxHeight(b: Box): number {
  return b[3] - b[1];
}

export function boxArea(b: Box): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

export function boxCenter(b: Box): Point {
  return [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
}

/** Bottom-centre: where an object stands, used for zone membership. */
export function boxBottomCenter(b: Box): Point {
  return [(b[0] + b[2]) / 2, b[3]];
}

export function intersection(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  return w > 0 && h > 0 ? w * h : 0;
}

export function iou(a: Box, b: Box): number {
  const inter = intersection(a, b);
  if (inter === 0) return 0;
  return inter / (boxArea(a) + boxArea(b) - inter);
}

/** Fraction of `inner`'s area that lies inside `outer`. */
export function containment(inner: Box, outer: Box): number {
  const a = boxArea(inner);
  return a === 0 ? 0 : intersection(inner, outer) / a;
}

export function unionBox(a: Box, b: Box): Box {
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];
}

export function clampBox(b: Box, width: number, height: number): Box {
  return [
    Math.max(0, Math.min(width, b[0])),
    Math.max(0, Math.min(height, b[1])),
    Math.max(0, Math.min(width, b[2])),
    Math.max(0, Math.min(height, b[3])),
  ];
}

/** Even-odd ray casting; points on an edge count as inside or outside arbitrarily. */
export function pointInPolygon(p: Point, poly: Polygon): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
