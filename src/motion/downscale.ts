import type { Grid } from './grid.js';

/** Both fast-path tricks below read bytes out of 32-bit words in little-endian order. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** A 16-bit lane holds the sum of at most this many bytes (257 * 255 = 65535). */
const MAX_LANE_ROWS = 257;

/**
 * RGB24 to small luma by area averaging, in one pass over the frame. This is
 * the hot loop of the motion stage (every source byte is read once; 2.7 MB
 * per 1280x720 frame), so it works on precomputed bin bounds and reused
 * buffers and allocates nothing per frame.
 *
 * Luma is BT.601 with integer weights, (77R + 150G + 29B) / 256, averaged
 * over each bin. The / 256 is linear, so it is applied once per bin rather
 * than per pixel, which is both cheaper and more exact than per-pixel >> 8.
 */
export class LumaDownscaler {
  private readonly grid: Grid;
  /** Word path: per 32-bit word of a source row, sums of bytes 0 and 2 (even) and 1 and 3 (odd) in 16-bit lanes. */
  private readonly even: Int32Array;
  private readonly odd: Int32Array;
  /** Sums of 256 * luma per source column over the rows of the current small row. */
  private readonly colLuma: Float64Array;
  /** Whether the frame width and bin height allow the word path. */
  private readonly wordsFit: boolean;
  private view: Int32Array | undefined;

  constructor(grid: Grid) {
    this.grid = grid;
    const rowBytes = grid.frameWidth * 3;
    this.even = new Int32Array(rowBytes >> 2);
    this.odd = new Int32Array(rowBytes >> 2);
    this.colLuma = new Float64Array(grid.frameWidth);
    this.wordsFit = LITTLE_ENDIAN && grid.frameWidth % 4 === 0 && maxBinRows(grid) <= MAX_LANE_ROWS;
  }

  /** Writes the mean luma (0..255, fractional) of every bin into `out` (width * height). */
  run(rgb: Uint8Array, out: Float32Array): void {
    const words = this.wordsFit && rgb.byteOffset % 4 === 0 ? this.wordView(rgb) : undefined;
    const { height, rowStart } = this.grid;
    for (let by = 0; by < height; by++) {
      const y0 = rowStart[by]!;
      const y1 = rowStart[by + 1]!;
      if (words) this.columnLumaFromWords(words, y0, y1);
      else this.columnLumaFromBytes(rgb, y0, y1);
      this.binColumns(out, by, y1 - y0);
    }
  }

  /** An Int32 view of the frame, kept while frames arrive in the same buffer. */
  private wordView(rgb: Uint8Array): Int32Array {
    const v = this.view;
    if (v && v.buffer === rgb.buffer && v.byteOffset === rgb.byteOffset) return v;
    const grid = this.grid;
    this.view = new Int32Array(rgb.buffer, rgb.byteOffset, (grid.frameWidth * grid.frameHeight * 3) >> 2);
    return this.view;
  }

  /**
   * Fast path, about 3x the byte loop: reads 4 bytes per load and adds them
   * as two pairs of 16-bit lanes (SWAR), so the per-row work is one load,
   * two masks and two adds per 4 bytes. Needs width % 4 === 0 so that every
   * row starts on a word and 3 words hold exactly 4 pixels.
   */
  private columnLumaFromWords(src: Int32Array, y0: number, y1: number): void {
    const { even, odd } = this;
    const n = even.length;
    even.fill(0);
    odd.fill(0);
    for (let y = y0; y < y1; y++) {
      const off = y * n;
      for (let k = 0; k < n; k++) {
        const v = src[off + k]!;
        even[k] = even[k]! + (v & 0x00ff00ff);
        odd[k] = odd[k]! + ((v >> 8) & 0x00ff00ff);
      }
    }
    this.lanesToLuma();
  }

  /** Little-endian words k, k+1, k+2 hold bytes R0 G0 B0 R1 | G1 B1 R2 G2 | B2 R3 G3 B3. */
  private lanesToLuma(): void {
    const { even, odd, colLuma } = this;
    const width = colLuma.length;
    for (let q = 0, k = 0; q < width; q += 4, k += 3) {
      const e0 = even[k]!, o0 = odd[k]!, e1 = even[k + 1]!, o1 = odd[k + 1]!, e2 = even[k + 2]!, o2 = odd[k + 2]!;
      colLuma[q] = 77 * (e0 & 0xffff) + 150 * (o0 & 0xffff) + 29 * (e0 >>> 16);
      colLuma[q + 1] = 77 * (o0 >>> 16) + 150 * (e1 & 0xffff) + 29 * (o1 & 0xffff);
      colLuma[q + 2] = 77 * (e1 >>> 16) + 150 * (o1 >>> 16) + 29 * (e2 & 0xffff);
      colLuma[q + 3] = 77 * (o2 & 0xffff) + 150 * (e2 >>> 16) + 29 * (o2 >>> 16);
    }
  }

  /** Portable path for any width, buffer alignment and byte order. */
  private columnLumaFromBytes(rgb: Uint8Array, y0: number, y1: number): void {
    const { colLuma } = this;
    const width = colLuma.length;
    colLuma.fill(0);
    for (let y = y0; y < y1; y++) {
      let i = y * width * 3;
      for (let x = 0; x < width; x++, i += 3) {
        colLuma[x] = colLuma[x]! + 77 * rgb[i]! + 150 * rgb[i + 1]! + 29 * rgb[i + 2]!;
      }
    }
  }

  /** Averages the column sums of small row `by` (`rows` source rows) into its bins. */
  private binColumns(out: Float32Array, by: number, rows: number): void {
    const { width, colStart } = this.grid;
    const { colLuma } = this;
    const base = by * width;
    let x = 0;
    for (let bx = 0; bx < width; bx++) {
      const end = colStart[bx + 1]!;
      const cols = end - x;
      let s = 0;
      for (; x < end; x++) s += colLuma[x]!;
      out[base + bx] = s / (256 * rows * cols);
    }
  }
}

function maxBinRows(grid: Grid): number {
  let max = 0;
  for (let y = 0; y < grid.height; y++) max = Math.max(max, grid.rowStart[y + 1]! - grid.rowStart[y]!);
  return max;
}
