/**
 * Connected components of the dilated motion mask, as boxes on the small grid.
 * Iterative flood fill over a preallocated stack: a frame-sized blob would
 * overflow the JS call stack with recursion.
 */
import type { RowRange } from './grid.js';

/** A box on the small grid, inclusive pixel bounds. */
export interface SmallBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Changed pixels (before dilation) inside the component. */
  area: number;
}

/** Reused working memory for `findComponents`, sized for one grid. */
export class ComponentScratch {
  readonly visited: Uint8Array;
  readonly stack: Int32Array;

  constructor(pixels: number) {
    this.visited = new Uint8Array(pixels);
    this.stack = new Int32Array(pixels);
  }
}

/**
 * 8-connected components of `dilated`, whose set pixels all lie in rows
 * `rows[0]..rows[1]` (inclusive). Each box's area counts the pixels set
 * in `changed` (before dilation), because two dilations turn any single noisy
 * pixel into a 5x5 blob, which would make a minimum area useless; the extent
 * is taken after dilation so a box carries the margin the detector needs
 * around the moving part.
 */
export function findComponents(
  dilated: Uint8Array,
  changed: Uint8Array,
  w: number,
  h: number,
  rows: RowRange,
  scratch: ComponentScratch,
): SmallBox[] {
  const { visited } = scratch;
  const from = rows[0] * w;
  const to = (rows[1] + 1) * w;
  visited.fill(0, from, to);
  const boxes: SmallBox[] = [];
  for (let i = from; i < to; i++) {
    if (dilated[i] === 0 || visited[i] !== 0) continue;
    boxes.push(floodFill(i, dilated, changed, w, h, scratch));
  }
  return boxes;
}

function floodFill(seed: number, dilated: Uint8Array, changed: Uint8Array, w: number, h: number, scratch: ComponentScratch): SmallBox {
  const { visited, stack } = scratch;
  const box: SmallBox = { x0: w, y0: h, x1: -1, y1: -1, area: 0 };
  let top = 0;
  stack[top++] = seed;
  visited[seed] = 1;
  while (top > 0) {
    const p = stack[--top]!;
    const x = p % w;
    const y = (p - x) / w;
    growBox(box, x, y, changed[p]!);
    const xa = x > 0 ? x - 1 : x;
    const xb = x < w - 1 ? x + 1 : x;
    const ya = y > 0 ? y - 1 : y;
    const yb = y < h - 1 ? y + 1 : y;
    for (let ny = ya; ny <= yb; ny++) {
      for (let nx = xa; nx <= xb; nx++) {
        const q = ny * w + nx;
        if (dilated[q] === 0 || visited[q] !== 0) continue;
        visited[q] = 1;
        stack[top++] = q;
      }
    }
  }
  return box;
}

function growBox(box: SmallBox, x: number, y: number, changed: number): void {
  if (x < box.x0) box.x0 = x;
  if (x > box.x1) box.x1 = x;
  if (y < box.y0) box.y0 = y;
  if (y > box.y1) box.y1 = y;
  box.area += changed;
}

/** True when the boxes overlap or share an edge or corner. */
function touches(a: SmallBox, b: SmallBox): boolean {
  return a.x0 <= b.x1 + 1 && b.x0 <= a.x1 + 1 && a.y0 <= b.y1 + 1 && b.y0 <= a.y1 + 1;
}

/**
 * Merges boxes that overlap or touch until none do. Separate components can
 * still have overlapping bounding boxes (an L-shape around a blob), and the
 * detector would otherwise be asked to look at the same pixels twice.
 * Repeats whole passes because a grown box can reach one already passed;
 * a frame has a handful of components, so the quadratic pass is cheap.
 */
export function mergeTouching(boxes: SmallBox[]): SmallBox[] {
  const out = boxes.slice();
  let mergedInPass = true;
  while (mergedInPass) {
    mergedInPass = false;
    for (let i = 0; i < out.length; i++) {
      if (absorbTouching(out, i)) mergedInPass = true;
    }
  }
  return out;
}

/** Absorbs into out[i] every later box touching it (repeatedly as it grows); true if any. */
function absorbTouching(out: SmallBox[], i: number): boolean {
  const into = out[i]!;
  let any = false;
  let grew = true;
  while (grew) {
    grew = false;
    for (let j = out.length - 1; j > i; j--) {
      if (!touches(into, out[j]!)) continue;
      absorb(into, out[j]!);
      out.splice(j, 1);
      grew = true;
      any = true;
    }
  }
  return any;
}

function absorb(into: SmallBox, other: SmallBox): void {
  into.x0 = Math.min(into.x0, other.x0);
  into.y0 = Math.min(into.y0, other.y0);
  into.x1 = Math.max(into.x1, other.x1);
  into.y1 = Math.max(into.y1, other.y1);
  into.area += other.area;
}
