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
  /**
   * Word path: for 32-bit word k of a source row, lanes[2k] sums its bytes 0
   * and 2 and lanes[2k+1] its bytes 1 and 3, each in a 16-bit lane, summed
   * over the source rows of the current small row.
   */
  private readonly lanes: Int32Array;
  /** Small column of each source column. */
  private readonly colBin: Int32Array;
  /** Sums of 256 * luma per small column over the current small row. */
  private readonly binSum: Float64Array;
  /** 1 / (256 * source columns) per small column. */
  private readonly binScale: Float64Array;
  /** Whether the frame width and bin height allow the word path. */
  private readonly wordsFit: boolean;
  private view: Int32Array | undefined;

  constructor(grid: Grid) {
    this.grid = grid;
    const { width, colStart, frameWidth } = grid;
    this.lanes = new Int32Array(((frameWidth * 3) >> 2) * 2);
    this.colBin = new Int32Array(frameWidth);
    this.binSum = new Float64Array(width);
    this.binScale = new Float64Array(width);
    for (let bx = 0; bx < width; bx++) {
      this.colBin.fill(bx, colStart[bx]!, colStart[bx + 1]!);
      this.binScale[bx] = 1 / (256 * (colStart[bx + 1]! - colStart[bx]!));
    }
    this.wordsFit = LITTLE_ENDIAN && frameWidth % 4 === 0 && maxBinRows(grid) <= MAX_LANE_ROWS;
  }

  /** Writes the mean luma (0..255, fractional) of every bin into `out` (width * height). */
  run(rgb: Uint8Array, out: Float32Array): void {
    const words = this.wordsFit && rgb.byteOffset % 4 === 0 ? this.wordView(rgb) : undefined;
    const { width, height, rowStart } = this.grid;
    for (let by = 0; by < height; by++) {
      const y0 = rowStart[by]!;
      const y1 = rowStart[by + 1]!;
      this.binSum.fill(0);
      if (words) this.addRowsFromWords(words, y0, y1);
      else this.addRowsFromBytes(rgb, y0, y1);
      const { binSum, binScale } = this;
      const base = by * width;
      const rowScale = 1 / (y1 - y0);
      for (let bx = 0; bx < width; bx++) out[base + bx] = binSum[bx]! * binScale[bx]! * rowScale;
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
   * Fast path, about 2x the byte loop at 1280x720 (where it runs close to the
   * cost of just reading the frame from memory): reads 4 bytes per load and
   * adds them as two pairs of 16-bit lanes (SWAR), so the work is one load,
   * two masks and two adds per 4 bytes. Needs width % 4 === 0 so that every
   * row starts on a word and 3 words hold exactly 4 pixels. Walks down each
   * word column of the bin rows with the sums in registers: read-modify-write
   * of a row-sized sum array per source row measured up to 2x slower,
   * depending on where that array happened to be allocated (store
   * forwarding / 4K aliasing against the source stream).
   */
  private addRowsFromWords(src: Int32Array, y0: number, y1: number): void {
    const { lanes } = this;
    const n = lanes.length >> 1;
    const start = y0 * n;
    const end = y1 * n;
    for (let k = 0, j = 0; k < n; k++, j += 2) {
      let even = 0;
      let odd = 0;
      for (let i = start + k; i < end; i += n) {
        const v = src[i]!;
        even += v & 0x00ff00ff;
        odd += (v >> 8) & 0x00ff00ff;
      }
      lanes[j] = even;
      lanes[j + 1] = odd;
    }
    this.addLanes();
  }

  /** Little-endian words k, k+1, k+2 (lanes from 2k) hold bytes R0 G0 B0 R1 | G1 B1 R2 G2 | B2 R3 G3 B3. */
  private addLanes(): void {
    const { lanes, colBin, binSum } = this;
    const width = colBin.length;
    for (let q = 0, j = 0; q < width; q += 4, j += 6) {
      const e0 = lanes[j]!, o0 = lanes[j + 1]!, e1 = lanes[j + 2]!, o1 = lanes[j + 3]!, e2 = lanes[j + 4]!, o2 = lanes[j + 5]!;
      const b0 = colBin[q]!, b1 = colBin[q + 1]!, b2 = colBin[q + 2]!, b3 = colBin[q + 3]!;
      binSum[b0] = binSum[b0]! + 77 * (e0 & 0xffff) + 150 * (o0 & 0xffff) + 29 * (e0 >>> 16);
      binSum[b1] = binSum[b1]! + 77 * (o0 >>> 16) + 150 * (e1 & 0xffff) + 29 * (o1 & 0xffff);
      binSum[b2] = binSum[b2]! + 77 * (e1 >>> 16) + 150 * (o1 >>> 16) + 29 * (e2 & 0xffff);
      binSum[b3] = binSum[b3]! + 77 * (o2 & 0xffff) + 150 * (e2 >>> 16) + 29 * (o2 >>> 16);
    }
  }

  /** Portable path for any width, buffer alignment and byte order. */
  private addRowsFromBytes(rgb: Uint8Array, y0: number, y1: number): void {
    const { colBin, binSum } = this;
    const width = colBin.length;
    for (let y = y0; y < y1; y++) {
      let i = y * width * 3;
      for (let x = 0; x < width; x++, i += 3) {
        const b = colBin[x]!;
        binSum[b] = binSum[b]! + 77 * rgb[i]! + 150 * rgb[i + 1]! + 29 * rgb[i + 2]!;
      }
    }
  }
}

function maxBinRows(grid: Grid): number {
  let max = 0;
  for (let y = 0; y < grid.height; y++) max = Math.max(max, grid.rowStart[y + 1]! - grid.rowStart[y]!);
  return max;
}
