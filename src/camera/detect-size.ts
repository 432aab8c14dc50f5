/** The frame size the pipeline works at for a camera. */

export interface DetectSizeConfig {
  /** Configured detect width/height, pixels; either may be absent. */
  detect: { width?: number | undefined; height?: number | undefined };
}

/**
 * The configured detect size, else the input's own capped at 1280 wide, keeping
 * the aspect ratio; even numbers for ffmpeg's scaler and yuv420p.
 */
export function detectSize(camera: DetectSizeConfig, inW: number, inH: number): { width: number; height: number } {
  const even = (v: number): number => Math.max(2, Math.round(v / 2) * 2);
  const { width, height } = camera.detect;
  if (width && height) return { width, height };
  if (width) return { width: even(width), height: even((width * inH) / inW) };
  if (height) return { width: even((height * inW) / inH), height: even(height) };
  const w = Math.min(1280, inW);
  return { width: even(w), height: even((w * inH) / inW) };
}
