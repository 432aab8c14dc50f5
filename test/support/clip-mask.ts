/**
 * Binary masks (one byte per pixel, 0 or 1) for cutting a sprite out of a video
 * frame: difference against a background, connected components, hole filling,
 * dilation and feathering.
 */

export interface Mask {
  width: number;
  height: number;
  bits: Uint8Array;
}

export interface Box {
  /** Inclusive pixel bounds. */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface Component extends Box {
  area: number;
  /** Component id in the label image, from 1. */
  id: number;
}

/** 1 where any channel of `frame` differs from `background` by more than `threshold` (both RGB24, same size). */
export function diffMask(frame: Buffer, background: Buffer, width: number, height: number, threshold: number): Mask {
  const bits = new Uint8Array(width * height);
  for (let p = 0, i = 0; p < bits.length; p++, i += 3) {
    let d = 0;
    for (let c = 0; c < 3; c++) d = Math.max(d, Math.abs((frame[i + c] ?? 0) - (background[i + c] ?? 0)));
    bits[p] = d > threshold ? 1 : 0;
  }
  return { width, height, bits };
}

/** 8-connected components of the set pixels, with a label image (0 = background). */
export function components(mask: Mask): { labels: Int32Array; list: Component[] } {
  const { width, height, bits } = mask;
  const labels = new Int32Array(width * height);
  const list: Component[] = [];
  const stack: number[] = [];
  for (let start = 0; start < bits.length; start++) {
    if (!bits[start] || labels[start]) continue;
    const c: Component = { id: list.length + 1, x0: width, y0: height, x1: 0, y1: 0, area: 0 };
    labels[start] = c.id;
    stack.push(start);
    while (stack.length > 0) {
      const q = stack.pop() ?? 0;
      const x = q % width;
      const y = (q - x) / width;
      c.area++;
      c.x0 = Math.min(c.x0, x);
      c.x1 = Math.max(c.x1, x);
      c.y0 = Math.min(c.y0, y);
      c.y1 = Math.max(c.y1, y);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= width || yy >= height) continue;
          const r = yy * width + xx;
          if (bits[r] && !labels[r]) {
            labels[r] = c.id;
            stack.push(r);
          }
        }
      }
    }
    list.push(c);
  }
  return { labels, list };
}

/** Only the pixels of the largest component. */
export function largestComponent(mask: Mask): Mask {
  const { labels, list } = components(mask);
  const best = list.reduce<Component | undefined>((a, c) => (a && a.area >= c.area ? a : c), undefined);
  const bits = new Uint8Array(mask.bits.length);
  if (best) for (let p = 0; p < bits.length; p++) bits[p] = labels[p] === best.id ? 1 : 0;
  return { width: mask.width, height: mask.height, bits };
}

/** Sets every unset pixel that the border cannot reach (holes inside the silhouette, e.g. a face close to path grey). */
export function fillHoles(mask: Mask): Mask {
  const { width, height } = mask;
  const outside = new Uint8Array(width * height);
  const stack: number[] = [];
  const seed = (p: number): void => {
    if (!mask.bits[p] && !outside[p]) {
      outside[p] = 1;
      stack.push(p);
    }
  };
  for (let x = 0; x < width; x++) {
    seed(x);
    seed((height - 1) * width + x);
  }
  for (let y = 0; y < height; y++) {
    seed(y * width);
    seed(y * width + width - 1);
  }
  while (stack.length > 0) {
    const q = stack.pop() ?? 0;
    const x = q % width;
    if (x > 0) seed(q - 1);
    if (x < width - 1) seed(q + 1);
    if (q >= width) seed(q - width);
    if (q < width * (height - 1)) seed(q + width);
  }
  const bits = new Uint8Array(width * height);
  for (let p = 0; p < bits.length; p++) bits[p] = outside[p] ? 0 : 1;
  return { width, height, bits };
}

/** 3x3 dilation, `times` times. */
export function dilate(mask: Mask, times: number): Mask {
  let cur = mask.bits;
  const { width, height } = mask;
  for (let n = 0; n < times; n++) {
    const next = new Uint8Array(cur.length);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let on = 0;
        for (let dy = -1; dy <= 1 && !on; dy++) {
          for (let dx = -1; dx <= 1 && !on; dx++) {
            const xx = x + dx;
            const yy = y + dy;
            if (xx >= 0 && yy >= 0 && xx < width && yy < height) on = cur[yy * width + xx] ?? 0;
          }
        }
        next[y * width + x] = on;
      }
    }
    cur = next;
  }
  return { width, height, bits: cur };
}

/** Alpha 0..255 from a mask, softened by a 3x3 box blur (about a 1 px feather). */
export function featherAlpha(mask: Mask): Uint8Array {
  const { width, height, bits } = mask;
  const alpha = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if (xx >= 0 && yy >= 0 && xx < width && yy < height) sum += bits[yy * width + xx] ?? 0;
        }
      }
      alpha[y * width + x] = Math.round((sum * 255) / 9);
    }
  }
  return alpha;
}
