/**
 * Swaying foliage in the lower-left lawn: wind-blown leaves are a steady source
 * of motion that must never become an alert. The region of the plate and a
 * high-contrast leaf texture over it are both displaced horizontally by a
 * sinusoid whose phase varies with the row, so the region ripples as it sways.
 */
import { mildNoise, FRAME, type Scene } from './clip-scenes.js';
import { mulberry32, type Rand, type RgbImage, type RgbaImage } from './clip-raster.js';

const REGION = { x0: 0, y0: 380, x1: 600, y1: 720 } as const; // x1, y1 exclusive
const SWAY = {
  /** Amplitude at the region's top row and bottom row, px (tops of plants move most). */
  topPx: 12,
  bottomPx: 6,
  hz: 0.7,
  /** Phase change per row, rad: one full wave every 160 rows. */
  phasePerRow: (2 * Math.PI) / 160,
} as const;
const LEAVES = {
  count: 1400,
  /** Leaf half-length, px; the half-width is 40..80 % of it. */
  radiusPx: [4, 14],
  /** Leaves fade out over this distance from the region's top and right edges, px. */
  edgeFadePx: 40,
  /** Dark shadow to sunlit yellow-green: high contrast on purpose. */
  palette: [
    [14, 40, 10],
    [30, 75, 20],
    [60, 120, 30],
    [120, 170, 55],
    [185, 215, 95],
  ],
} as const;

const W = REGION.x1 - REGION.x0;
const H = REGION.y1 - REGION.y0;

function drawLeaf(tex: RgbaImage, rand: Rand): void {
  const cx = rand() * W;
  const cy = rand() * H;
  const a = LEAVES.radiusPx[0] + rand() * (LEAVES.radiusPx[1] - LEAVES.radiusPx[0]);
  const b = a * (0.4 + 0.4 * rand());
  const angle = rand() * Math.PI;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const colour = LEAVES.palette[Math.floor(rand() * LEAVES.palette.length)] ?? LEAVES.palette[0];
  const shade = 0.8 + 0.4 * rand();
  for (let y = Math.max(0, Math.floor(cy - a)); y < Math.min(H, Math.ceil(cy + a)); y++) {
    for (let x = Math.max(0, Math.floor(cx - a)); x < Math.min(W, Math.ceil(cx + a)); x++) {
      const u = ((x - cx) * cos + (y - cy) * sin) / a;
      const v = (-(x - cx) * sin + (y - cy) * cos) / b;
      const r = Math.sqrt(u * u + v * v);
      if (r >= 1) continue;
      const i = (y * W + x) * 4;
      const edge = Math.min(1, (1 - r) * a); // about a 1 px soft rim
      const fade = Math.min(1, y / LEAVES.edgeFadePx, (W - 1 - x) / LEAVES.edgeFadePx);
      for (let c = 0; c < 3; c++) tex.data[i + c] = Math.min(255, Math.round((colour[c] ?? 0) * shade));
      tex.data[i + 3] = Math.max(tex.data[i + 3] ?? 0, Math.round(255 * edge * fade));
    }
  }
}

function leafTexture(rand: Rand): RgbaImage {
  const tex: RgbaImage = { width: W, height: H, data: Buffer.alloc(W * H * 4) };
  for (let n = 0; n < LEAVES.count; n++) drawLeaf(tex, rand);
  return tex;
}

function swayPx(row: number, t: number): number {
  const amp = SWAY.topPx + ((SWAY.bottomPx - SWAY.topPx) * row) / (H - 1);
  return amp * Math.sin(2 * Math.PI * SWAY.hz * t + SWAY.phasePerRow * row);
}

/** Writes region row `row` of `frame`, shifted right by `dx` px (linear interpolation). */
function swayRow(frame: Buffer, plate: RgbImage, tex: RgbaImage, row: number, dx: number): void {
  const y = REGION.y0 + row;
  const whole = Math.floor(dx);
  const frac = dx - whole;
  for (let x = REGION.x0; x < REGION.x1; x++) {
    const s0 = Math.min(plate.width - 1, Math.max(0, x - whole - 1));
    const s1 = Math.min(plate.width - 1, Math.max(0, x - whole));
    const t0 = s0 - REGION.x0;
    const t1 = s1 - REGION.x0;
    const a0 = t0 >= 0 && t0 < W ? (tex.data[(row * W + t0) * 4 + 3] ?? 0) : 0;
    const a1 = t1 >= 0 && t1 < W ? (tex.data[(row * W + t1) * 4 + 3] ?? 0) : 0;
    const alpha = (a0 * frac + a1 * (1 - frac)) / 255;
    const d = (y * plate.width + x) * 3;
    for (let c = 0; c < 3; c++) {
      const p0 = plate.data[(y * plate.width + s0) * 3 + c] ?? 0;
      const p1 = plate.data[(y * plate.width + s1) * 3 + c] ?? 0;
      const ground = p0 * frac + p1 * (1 - frac);
      const l0 = a0 ? (tex.data[(row * W + t0) * 4 + c] ?? 0) : ground;
      const l1 = a1 ? (tex.data[(row * W + t1) * 4 + c] ?? 0) : ground;
      const leaf = l0 * frac + l1 * (1 - frac);
      frame[d + c] = Math.round(ground + (leaf - ground) * alpha);
    }
  }
}

export const foliage: Scene = {
  durationS: 10,
  truth: [],
  async prepare(assets) {
    const rand = mulberry32(0x7f4a7c15);
    const tex = leafTexture(rand);
    const noise = mildNoise(rand);
    return (k) => {
      const t = k / FRAME.fps;
      const frame = Buffer.from(assets.plate.data);
      for (let row = 0; row < H; row++) swayRow(frame, assets.plate, tex, row, swayPx(row, t));
      noise(frame);
      return frame;
    };
  },
};
