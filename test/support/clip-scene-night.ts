/**
 * Night IR with insects at the lens: the field's top false-alarm source. Moths
 * and midges close to an IR-lit lens show as large, defocused, bright blobs
 * that swell and shrink as they flutter and dart about erratically.
 */
import {
  addGreyNoise,
  copyImage,
  drawSoftBlob,
  makeNoisePool,
  mulberry32,
  toGrey,
  type Rand,
} from './clip-raster.js';
import { FRAME, type Scene } from './clip-scenes.js';

/** The grey plate at 25 % brightness; noise is three draws in [-4, 4] (+-12 levels, sd ~4.5). */
const NIGHT = { brightness: 0.25, noiseStep: 4, noiseTerms: 3 } as const;

/** Ranges [min, max] the PRNG picks from, per insect or per frame as noted. */
const INSECT = {
  count: [2, 3],
  /** Blob diameter, px, per insect. */
  diameterPx: [60, 220],
  /** Frame-to-frame size change, fraction of the diameter. */
  sizeJitter: 0.3,
  /** Peak brightness, levels, per insect. */
  peak: [200, 255],
  /** New direction and speed every this many frames. */
  turnEveryFrames: [1, 3],
  speedPxS: [200, 900],
  /** Time in view, s, per insect. */
  lifeS: [0.5, 3],
} as const;

const DURATION_S = 12;
const SEED = 0xd3a2646c;
/** No insect in the first and last this many seconds, s. */
const EDGE_S = 0.3;

interface BlobAt {
  x: number;
  y: number;
  radius: number;
}

interface Insect {
  startK: number;
  peak: number;
  /** One entry per frame from startK. */
  path: BlobAt[];
}

function pick(rand: Rand, [lo, hi]: readonly [number, number]): number {
  return lo + rand() * (hi - lo);
}

/** Position and velocity after reflecting off [lo, hi]. */
function bounce(p: number, v: number, lo: number, hi: number): [number, number] {
  if (p < lo) return [2 * lo - p, -v];
  if (p > hi) return [2 * hi - p, -v];
  return [p, v];
}

/** A random walk with sharp turns; the centre may leave the frame by up to a radius, so blobs get cut at the edges. */
function flight(rand: Rand, frames: number, diameter: number): BlobAt[] {
  const path: BlobAt[] = [];
  let x = pick(rand, [0.1 * FRAME.width, 0.9 * FRAME.width]);
  let y = pick(rand, [0.1 * FRAME.height, 0.9 * FRAME.height]);
  let vx = 0;
  let vy = 0;
  let turnIn = 0;
  const r0 = diameter / 2;
  for (let k = 0; k < frames; k++) {
    if (turnIn-- <= 0) {
      const angle = rand() * 2 * Math.PI;
      const speed = pick(rand, INSECT.speedPxS) / FRAME.fps;
      vx = speed * Math.cos(angle);
      vy = speed * Math.sin(angle);
      turnIn = Math.round(pick(rand, INSECT.turnEveryFrames)) - 1;
    }
    [x, vx] = bounce(x + vx, vx, -r0, FRAME.width + r0);
    [y, vy] = bounce(y + vy, vy, -r0, FRAME.height + r0);
    path.push({ x, y, radius: r0 * (1 + (2 * rand() - 1) * INSECT.sizeJitter) });
  }
  return path;
}

function swarm(rand: Rand): Insect[] {
  const count = Math.round(pick(rand, INSECT.count));
  const insects: Insect[] = [];
  for (let i = 0; i < count; i++) {
    const lifeS = pick(rand, INSECT.lifeS);
    const startS = pick(rand, [EDGE_S, DURATION_S - lifeS - EDGE_S]);
    const frames = Math.max(1, Math.round(lifeS * FRAME.fps));
    const diameter = pick(rand, INSECT.diameterPx);
    insects.push({
      startK: Math.round(startS * FRAME.fps),
      peak: Math.round(pick(rand, INSECT.peak)),
      path: flight(rand, frames, diameter),
    });
  }
  return insects;
}

export const insectsIr: Scene = {
  durationS: DURATION_S,
  truth: [],
  async prepare(assets) {
    const rand = mulberry32(SEED);
    const night = toGrey(assets.plate, NIGHT.brightness);
    const insects = swarm(rand);
    const pool = makeNoisePool(rand, FRAME.width * FRAME.height, NIGHT.noiseStep, NIGHT.noiseTerms);
    return (k) => {
      const frame = copyImage(night);
      for (const insect of insects) {
        const at = insect.path[k - insect.startK];
        if (at) drawSoftBlob(frame, at.x, at.y, at.radius, insect.peak);
      }
      addGreyNoise(frame.data, pool, rand);
      return frame.data;
    };
  },
};

export interface InsectFlight {
  startS: number;
  endS: number;
  peak: number;
  meanDiameterPx: number;
  /** Frames in which the blob is cut by the frame edge. */
  framesAtEdge: number;
}

/** When and how the insects of insects-ir fly (same seed as the clip), for reports and tests. */
export function insectSchedule(): InsectFlight[] {
  return swarm(mulberry32(SEED)).map((i) => ({
    startS: i.startK / FRAME.fps,
    endS: (i.startK + i.path.length) / FRAME.fps,
    peak: i.peak,
    meanDiameterPx: Math.round((2 * i.path.reduce((sum, b) => sum + b.radius, 0)) / i.path.length),
    framesAtEdge: i.path.filter(
      (b) => b.x < b.radius || b.y < b.radius || b.x > FRAME.width - b.radius || b.y > FRAME.height - b.radius,
    ).length,
  }));
}
