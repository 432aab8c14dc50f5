import type { Box, Frame, MotionResult, Polygon } from '../core/types.js';
import { boxArea } from '../core/geometry.js';
import { changeMask, isLightChange, updateBackground, type ChangeStats } from './change.js';
import { ComponentScratch, findComponents, mergeTouching, type SmallBox } from './components.js';
import { LumaDownscaler } from './downscale.js';
import { boxBlur3, dilate3 } from './filters.js';
import { makeGrid, type Grid, type RowRange } from './grid.js';
import { rasteriseMasks } from './mask.js';
import { resolveMotionOptions, type MotionOptions } from './options.js';

export { DEFAULT_MOTION_OPTIONS, type MotionOptions } from './options.js';

/**
 * Cheap per-frame motion detection that tells the expensive object detector
 * where to look, following Frigate's chain: downscale to luma, blur, compare
 * with a running-average background, threshold, mask, dilate, connected
 * components, boxes. All buffers are allocated here once per camera.
 *
 * The background learns everywhere, moving regions included, as Frigate's
 * does (see `updateBackground`): simple, and a stopped object fades out.
 */
export class MotionDetector {
  private readonly opts: Required<MotionOptions>;
  private readonly grid: Grid;
  private readonly downscaler: LumaDownscaler;
  private readonly excluded: Uint8Array;
  /** Number of small pixels not excluded by a mask. */
  private readonly watched: number;
  private readonly small: Float32Array;
  private readonly blurTmp: Float32Array;
  private readonly background: Float32Array;
  private readonly changed: Uint8Array;
  private readonly dilated: Uint8Array;
  private readonly dilateTmp: Uint8Array;
  private readonly scratch: ComponentScratch;
  private readonly stats: ChangeStats = { changed: 0, brighter: 0, firstRow: -1, lastRow: -1 };
  private hasBackground = false;
  /** Calibrating frames still to come after the current one. */
  private calibrationLeft = 0;

  /**
   * @param frameWidth, frameHeight size in pixels of every frame given to `detect`.
   * @param masks exclusion polygons in full-frame pixels: motion inside them is ignored.
   */
  constructor(frameWidth: number, frameHeight: number, options: MotionOptions = {}, masks: readonly Polygon[] = []) {
    this.opts = resolveMotionOptions(options);
    this.grid = makeGrid(frameWidth, frameHeight, this.opts.height);
    this.downscaler = new LumaDownscaler(this.grid);
    this.excluded = rasteriseMasks(this.grid, masks);
    this.watched = this.excluded.length - this.excluded.reduce((n, v) => n + v, 0);
    const pixels = this.grid.width * this.grid.height;
    this.small = new Float32Array(pixels);
    this.blurTmp = new Float32Array(pixels);
    this.background = new Float32Array(pixels);
    this.changed = new Uint8Array(pixels);
    this.dilated = new Uint8Array(pixels);
    this.dilateTmp = new Uint8Array(pixels);
    this.scratch = new ComponentScratch(pixels);
  }

  /** Forgets the background; the next frame starts a new calibration. */
  reset(): void {
    this.hasBackground = false;
    this.calibrationLeft = 0;
  }

  detect(frame: Frame): MotionResult {
    this.checkFrame(frame);
    const { width: w, height: h } = this.grid;
    this.downscaler.run(frame.rgb, this.small);
    boxBlur3(this.small, this.blurTmp, w, h);
    if (!this.hasBackground) return this.startCalibration(0, false);
    changeMask(this.small, this.background, this.excluded, this.opts.threshold, w, this.changed, this.stats);
    const fraction = this.watched === 0 ? 0 : this.stats.changed / this.watched;
    if (this.calibrationLeft > 0) return this.calibrate(fraction);
    if (this.isLightChange()) return this.startCalibration(fraction, true);
    updateBackground(this.background, this.small, this.opts.alpha);
    return { boxes: this.findBoxes(), changedFraction: fraction, calibrating: false, lightChange: false };
  }

  private checkFrame(frame: Frame): void {
    const { frameWidth, frameHeight } = this.grid;
    if (frame.width !== frameWidth || frame.height !== frameHeight) {
      throw new RangeError(`motion detector is for ${frameWidth}x${frameHeight} frames, got ${frame.width}x${frame.height}`);
    }
    if (frame.rgb.length < frameWidth * frameHeight * 3) {
      throw new RangeError(`frame ${frame.index} has ${frame.rgb.length} bytes, expected ${frameWidth * frameHeight * 3}`);
    }
  }

  private isLightChange(): boolean {
    const { lightChangeFraction, globalChangeFraction } = this.opts;
    return isLightChange(this.stats, this.watched, lightChangeFraction, globalChangeFraction);
  }

  /**
   * Background := this frame, then learn fast for `calibrationFrames` frames
   * (this one included). After a light change the old background is useless,
   * and slow learning would report the whole frame as motion for ~1/alpha frames.
   */
  private startCalibration(fraction: number, lightChange: boolean): MotionResult {
    this.background.set(this.small);
    this.hasBackground = true;
    this.calibrationLeft = this.opts.calibrationFrames - 1;
    return { boxes: [], changedFraction: fraction, calibrating: true, lightChange };
  }

  private calibrate(fraction: number): MotionResult {
    updateBackground(this.background, this.small, this.opts.calibrationAlpha);
    this.calibrationLeft--;
    return { boxes: [], changedFraction: fraction, calibrating: true, lightChange: false };
  }

  /**
   * Dilated components, merged, filtered by area, in frame pixels, largest
   * first. Dilation and labelling only visit the rows motion can reach,
   * which in a typical frame is a small band of the image.
   */
  private findBoxes(): Box[] {
    const { width: w, height: h } = this.grid;
    const { changed, firstRow, lastRow } = this.stats;
    if (changed === 0) return [];
    const grow = this.opts.dilateIterations;
    const rows: RowRange = [Math.max(0, firstRow - grow), Math.min(h - 1, lastRow + grow)];
    this.dilated.set(this.changed);
    dilate3(this.dilated, this.dilateTmp, w, rows, grow);
    const components = mergeTouching(findComponents(this.dilated, this.changed, w, h, rows, this.scratch));
    return components
      .filter((c) => c.area >= this.opts.minArea)
      .map((c) => this.toFrameBox(c))
      .sort((a, b) => boxArea(b) - boxArea(a));
  }

  /** Exact full-frame bounds of the bins a small box covers (always inside the frame). */
  private toFrameBox(c: SmallBox): Box {
    const { colStart, rowStart } = this.grid;
    return [colStart[c.x0]!, rowStart[c.y0]!, colStart[c.x1 + 1]!, rowStart[c.y1 + 1]!];
  }
}
