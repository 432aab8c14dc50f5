/**
 * The detector as the rest of the agent sees it: something that describes its
 * model and finds objects in square regions of a frame. Implementations run the
 * model off the main thread; an over-the-air model swap replaces one whole.
 */
import type { Box, Detection, Frame } from '../core/types.js';

export interface ModelInfo {
  readonly name: string;
  readonly version: string;
  readonly format: string;
  /** Which runtime executes it, e.g. "tfjs-wasm", "tfjs-node", "onnxruntime". */
  readonly runtime: string;
  readonly inputWidth: number;
  readonly inputHeight: number;
  readonly labels: readonly string[];
}

export interface DetectorStats {
  readonly inferences: number;
  /** Total milliseconds spent inside the runtime (preprocess + inference + decode). */
  readonly busyMs: number;
}

export interface Detector {
  readonly info: ModelInfo;
  /**
   * Detects in each region (frame pixels) of the frame; returns one list per
   * region with boxes already mapped back to frame pixels. The frame's bytes are
   * copied before this returns, so the caller may reuse its buffer.
   */
  detect(frame: Frame, regions: readonly Box[]): Promise<Detection[][]>;
  stats(): DetectorStats;
  close(): Promise<void>;
}
