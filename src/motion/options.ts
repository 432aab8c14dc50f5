/**
 * Tuning knobs of the motion stage. Defaults follow Frigate's motion detector,
 * which has been tuned on many thousands of real cameras.
 */
export interface MotionOptions {
  /**
   * Height in pixels of the downscaled luma image motion is computed on; the
   * width keeps the frame's aspect ratio. Lower is cheaper and less noisy but
   * misses small far-away objects. Clamped to the frame height. Default 120.
   */
  height?: number;
  /**
   * Luma levels (0..255) a downscaled pixel must differ from the background
   * to count as changed. Default 30.
   */
  threshold?: number;
  /**
   * Background learning rate per frame once calibrated (0 < alpha <= 1): a
   * stopped object fades into the background after roughly 1/alpha frames.
   * Default 0.01.
   */
  alpha?: number;
  /** Learning rate per frame while (re)calibrating (0 < alpha <= 1). Default 0.2. */
  calibrationAlpha?: number;
  /**
   * Frames spent calibrating at start-up, after `reset()` and after a light
   * change, counting the frame that starts it (>= 1). Default 10.
   */
  calibrationFrames?: number;
  /** Number of 3x3 dilations of the changed-pixel mask (>= 0). Default 2. */
  dilateIterations?: number;
  /**
   * Minimum number of changed downscaled pixels (counted before dilation) a
   * moving region needs to be reported (>= 1). Default 10.
   */
  minArea?: number;
  /**
   * Changed fraction (0..1) of the unmasked downscaled frame above which the
   * change is treated as global lighting, whatever its direction. Default 0.8.
   */
  lightChangeFraction?: number;
  /**
   * Changed fraction (0..1) above which the change is treated as global
   * lighting when more than 90 % of changed pixels moved the same way
   * (all brighter or all darker). Default 0.45.
   */
  globalChangeFraction?: number;
}

export const DEFAULT_MOTION_OPTIONS: Required<MotionOptions> = Object.freeze({
  height: 120,
  threshold: 30,
  alpha: 0.01,
  calibrationAlpha: 0.2,
  calibrationFrames: 10,
  dilateIterations: 2,
  minArea: 10,
  lightChangeFraction: 0.8,
  globalChangeFraction: 0.45,
});

type Check = (v: number) => boolean;

const isUnitOpen: Check = (v) => v > 0 && v <= 1;
const isFraction: Check = (v) => v >= 0 && v <= 1;

/** Each option's admissible range, with the wording used in the error. */
const CHECKS: Record<keyof MotionOptions, [Check, string]> = {
  height: [(v) => Number.isInteger(v) && v >= 1, 'an integer >= 1'],
  threshold: [(v) => v > 0 && v <= 255, 'in (0, 255]'],
  alpha: [isUnitOpen, 'in (0, 1]'],
  calibrationAlpha: [isUnitOpen, 'in (0, 1]'],
  calibrationFrames: [(v) => Number.isInteger(v) && v >= 1, 'an integer >= 1'],
  dilateIterations: [(v) => Number.isInteger(v) && v >= 0, 'an integer >= 0'],
  minArea: [(v) => Number.isInteger(v) && v >= 1, 'an integer >= 1'],
  lightChangeFraction: [isFraction, 'in [0, 1]'],
  globalChangeFraction: [isFraction, 'in [0, 1]'],
};

/**
 * Defaults filled in and every value range-checked. Bad values are a
 * programmer error here (user config is validated by its schema upstream),
 * so this throws a RangeError rather than an AgentError.
 */
export function resolveMotionOptions(options: MotionOptions = {}): Required<MotionOptions> {
  const resolved = { ...DEFAULT_MOTION_OPTIONS };
  for (const key of Object.keys(CHECKS) as (keyof MotionOptions)[]) {
    const value = options[key];
    if (value === undefined) continue;
    const [check, wording] = CHECKS[key];
    if (!Number.isFinite(value) || !check(value)) {
      throw new RangeError(`motion option ${key} must be ${wording}, got ${value}`);
    }
    resolved[key] = value;
  }
  return Object.freeze(resolved);
}
