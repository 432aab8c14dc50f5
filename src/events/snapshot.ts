/**
 * Event snapshots: the frame as JPEG with the event's box drawn on it.
 *
 * The outline is written straight into a copy of the RGB pixels rather than
 * drawn as SVG: exact colour, no anti-aliasing, and no rasterising of a
 * frame-sized overlay. Only the small text tag goes through SVG (librsvg).
 */
import sharp, { type OverlayOptions } from 'sharp';
import type { Box, Frame } from '../core/types.js';

export type Rgb = readonly [number, number, number];

export interface SnapshotOptions {
  /** Text of the tag and the key of the colour, e.g. 'person', 'car'. */
  label: string;
  /** Detector score 0..1, shown as a percentage in the tag. */
  score: number;
  /** JPEG quality 1..100. Default 80. */
  quality?: number;
  /** Frames wider than this many pixels are scaled down (aspect kept). Default 1280. */
  maxWidth?: number;
}

/** Outline thickness in output pixels, drawn inside the box edge. */
export const OUTLINE_PX = 3;

const PERSON_COLOUR: Rgb = [0, 220, 60];
const VEHICLE_COLOUR: Rgb = [255, 140, 0];
const OTHER_COLOUR: Rgb = [255, 230, 0];
const VEHICLE_LABELS = new Set(['vehicle', 'car', 'truck', 'bus', 'motorcycle', 'bicycle']);

/** Box colour for a category or detector label; saturated so it survives JPEG. */
export function labelColour(label: string): Rgb {
  if (label === 'person') return PERSON_COLOUR;
  return VEHICLE_LABELS.has(label) ? VEHICLE_COLOUR : OTHER_COLOUR;
}

/**
 * Renders the JPEG. Reads `frame.rgb` once, synchronously, at call start (it
 * is copied before the first await), so the caller may reuse the frame buffer
 * as soon as this returns its promise.
 */
export async function renderSnapshot(frame: Frame, box: Box, opts: SnapshotOptions): Promise<Buffer> {
  const { width, height } = frame;
  if (frame.rgb.length !== width * height * 3) {
    throw new RangeError(`frame.rgb has ${frame.rgb.length} bytes, expected ${width}x${height}x3`);
  }
  const copy = Buffer.from(frame.rgb);
  const scale = Math.min(1, (opts.maxWidth ?? 1280) / width);
  const out = { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
  const pixels = scale < 1 ? await resizeRaw(copy, width, height, out) : copy;
  const rect = toPixelRect(box, scale, out.width, out.height);
  const colour = labelColour(opts.label);
  if (rect) drawOutline(pixels, out.width, rect, colour);
  const image = sharp(pixels, { raw: { width: out.width, height: out.height, channels: 3 } });
  const tag = rect ? labelTag(`${opts.label} ${Math.round(opts.score * 100)}%`, rect, out, colour) : null;
  if (tag) image.composite([tag]);
  // 4:4:4 because 4:2:0 halves chroma resolution and smears a 3 px coloured line.
  return image.jpeg({ quality: opts.quality ?? 80, chromaSubsampling: '4:4:4' }).toBuffer();
}

interface Size {
  width: number;
  height: number;
}

/** Inclusive pixel bounds of a box in the output image. */
interface PixelRect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

async function resizeRaw(rgb: Buffer, width: number, height: number, out: Size): Promise<Buffer> {
  return sharp(rgb, { raw: { width, height, channels: 3 } })
    .resize({ width: out.width, height: out.height, fit: 'fill' })
    .raw()
    .toBuffer();
}

/** Scales and clamps the box; null when it lies entirely outside the image. */
function toPixelRect(box: Box, scale: number, width: number, height: number): PixelRect | null {
  const [x1, y1, x2, y2] = box.map((v) => v * scale) as [number, number, number, number];
  if (x2 <= 0 || y2 <= 0 || x1 >= width || y1 >= height || x2 <= x1 || y2 <= y1) return null;
  return {
    left: clamp(Math.floor(x1), 0, width - 1),
    top: clamp(Math.floor(y1), 0, height - 1),
    right: clamp(Math.ceil(x2) - 1, 0, width - 1),
    bottom: clamp(Math.ceil(y2) - 1, 0, height - 1),
  };
}

function drawOutline(rgb: Buffer, width: number, r: PixelRect, colour: Rgb): void {
  const t = OUTLINE_PX - 1;
  fillRect(rgb, width, { ...r, bottom: Math.min(r.bottom, r.top + t) }, colour);
  fillRect(rgb, width, { ...r, top: Math.max(r.top, r.bottom - t) }, colour);
  fillRect(rgb, width, { ...r, right: Math.min(r.right, r.left + t) }, colour);
  fillRect(rgb, width, { ...r, left: Math.max(r.left, r.right - t) }, colour);
}

function fillRect(rgb: Buffer, width: number, r: PixelRect, [red, green, blue]: Rgb): void {
  for (let y = r.top; y <= r.bottom; y++) {
    for (let x = r.left, i = (y * width + r.left) * 3; x <= r.right; x++, i += 3) {
      rgb[i] = red;
      rgb[i + 1] = green;
      rgb[i + 2] = blue;
    }
  }
}

/**
 * The text tag as a small SVG placed just above the box (inside it when the
 * box touches the top edge). Skipped when the image is too small to hold it.
 * The width is estimated (0.62 em per character fits DejaVu Sans, the usual
 * fontconfig default) because librsvg cannot measure text for us up front.
 */
function labelTag(text: string, rect: PixelRect, out: Size, colour: Rgb): OverlayOptions | null {
  const fontPx = clamp(Math.round(out.height / 36), 10, 28);
  const w = Math.ceil(text.length * fontPx * 0.62) + 6;
  const h = fontPx + 6;
  if (w > out.width || h > out.height) return null;
  const left = Math.min(rect.left, out.width - w);
  const top = rect.top >= h ? rect.top - h : Math.min(rect.top + OUTLINE_PX, out.height - h);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">` +
    `<rect width="${w}" height="${h}" fill="rgb(${colour.join(',')})"/>` +
    `<text x="3" y="${fontPx + 1}" font-family="DejaVu Sans, sans-serif" font-size="${fontPx}" ` +
    `fill="black">${escapeXml(text)}</text></svg>`;
  return { input: Buffer.from(svg), left, top };
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
