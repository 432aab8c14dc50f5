/**
 * What happens in each test clip, frame by frame, and its ground truth. Scenes
 * are pure functions of the frame index and a seeded PRNG, so a clip is the
 * same bytes every time it is generated.
 */
import {
  addNoise,
  addSoftEllipse,
  blit,
  copyImage,
  makeNoisePool,
  mulberry32,
  scaleBrightness,
  type Rand,
  type RgbImage,
  type RgbaImage,
} from './clip-raster.js';
import { busGeometry, catGeometry, personGeometry, type SpriteGeometry } from './clip-sources.js';

/** Every clip's format. 10 fps is what the agent samples at, so there is no reason for more. */
export const FRAME = { width: 1280, height: 720, fps: 10 } as const;

export interface GroundTruth {
  label: 'person' | 'vehicle';
  /** When the first pixel of the object is in frame, s. */
  enterS: number;
  /** When its last pixel has left, s. */
  exitS: number;
}

export interface SceneAssets {
  /** The 1280x720 background plate. */
  plate: RgbImage;
  person(): Promise<RgbaImage>;
  bus(): Promise<RgbaImage>;
  cat(): Promise<RgbaImage>;
}

/** Renders frame k (0-based) into a fresh buffer. */
export type RenderFrame = (k: number) => Buffer;

export interface Scene {
  durationS: number;
  truth: GroundTruth[];
  prepare(assets: SceneAssets): Promise<RenderFrame>;
}

const FRAME_SAMPLES = FRAME.width * FRAME.height * 3;

/** Daylight sensor noise: two uniform draws in [-2, 2], so +-4 levels, triangular. */
export function mildNoise(rand: Rand): (frame: Buffer) => void {
  const pool = makeNoisePool(rand, FRAME_SAMPLES, 2, 2);
  return (frame) => addNoise(frame, pool, rand);
}

/** A sprite moving horizontally at constant speed, entering at `enterS` from one side. */
interface Crossing {
  geometry: SpriteGeometry;
  enterS: number;
  speedPxS: number;
  direction: 'left-to-right' | 'right-to-left';
  /** Where the bottom of the object is, given its centre x and the time. */
  bottomY(centreX: number, t: number): number;
}

function crossingExitS(c: Crossing): number {
  return c.enterS + (FRAME.width + c.geometry.body.w) / c.speedPxS;
}

/** Sprite top-left at time t. */
function crossingPosition(c: Crossing, t: number): { x: number; y: number } {
  const { body } = c.geometry;
  const travelled = c.speedPxS * (t - c.enterS);
  const bodyLeft = c.direction === 'left-to-right' ? -body.w + travelled : FRAME.width - travelled;
  const bottom = c.bottomY(bodyLeft + body.w / 2, t);
  return { x: Math.round(bodyLeft - body.x), y: Math.round(bottom - (body.y + body.h)) };
}

function crossingScene(
  c: Crossing,
  durationS: number,
  seed: number,
  sprite: (a: SceneAssets) => Promise<RgbaImage>,
  truth: GroundTruth[],
): Scene {
  return {
    durationS,
    truth,
    async prepare(assets) {
      const image = await sprite(assets);
      const rand = mulberry32(seed);
      const noise = mildNoise(rand);
      return (k) => {
        const t = k / FRAME.fps;
        const frame = copyImage(assets.plate);
        if (t >= c.enterS && t <= crossingExitS(c)) {
          const at = crossingPosition(c, t);
          blit(frame, image, at.x, at.y);
        }
        noise(frame.data);
        return frame.data;
      };
    },
  };
}

/**
 * A pedestrian walks left to right along the path at 160 px/s (about 1.5 m/s
 * for a 180 px tall person), feet following the path from y 300 at the left
 * edge down to y 470 at the right, bobbing +-3 px at 2 Hz (two steps a second).
 */
const PERSON_WALK: Crossing = {
  geometry: personGeometry(),
  enterS: 2,
  speedPxS: 160,
  direction: 'left-to-right',
  bottomY: (x, t) => 300 + (170 * x) / FRAME.width + 3 * Math.sin(2 * Math.PI * 2 * t),
};

/** The bus drives right to left at 250 px/s (~30 km/h at this scale), wheels on y 480 (road, then path). */
const BUS_DRIVE: Crossing = {
  geometry: busGeometry(),
  enterS: 2,
  speedPxS: 250,
  direction: 'right-to-left',
  bottomY: () => 480,
};

/** The kitten crosses the lawn left to right at 180 px/s, paws on y 700. */
const CAT_WALK: Crossing = {
  geometry: catGeometry(),
  enterS: 2,
  speedPxS: 180,
  direction: 'left-to-right',
  bottomY: () => 700,
};

function truthOf(c: Crossing, label: GroundTruth['label']): GroundTruth {
  return { label, enterS: c.enterS, exitS: Math.round(crossingExitS(c) * 1000) / 1000 };
}

export const personCrossing = crossingScene(PERSON_WALK, 12, 0x9e3779b1, (a) => a.person(), [
  truthOf(PERSON_WALK, 'person'),
]);

export const busCrossing = crossingScene(BUS_DRIVE, 11, 0x85ebca6b, (a) => a.bus(), [truthOf(BUS_DRIVE, 'vehicle')]);

/** Cat visible from 2.0 s until CAT_EXIT_S; animals are never alerts, so no truth. */
export const CAT_EXIT_S = Math.round(crossingExitS(CAT_WALK) * 1000) / 1000;
export const catCrossing = crossingScene(CAT_WALK, 12, 0xc2b2ae35, (a) => a.cat(), []);

export const emptyScene: Scene = {
  durationS: 10,
  truth: [],
  async prepare(assets) {
    const noise = mildNoise(mulberry32(0x27d4eb2f));
    return () => {
      const frame = copyImage(assets.plate);
      noise(frame.data);
      return frame.data;
    };
  },
};

/**
 * Lights: frames from 4.0 s up to (not including) 8.0 s are 70 % brighter, a
 * step within one frame each way; from 10.0 s to 11.5 s a headlight-like soft
 * ellipse (500x250 px, +80 levels at its centre) sweeps left to right along
 * the building wall (centre y 90).
 */
export const LIGHT = { onS: 4, offS: 8, gain: 1.7, sweepStartS: 10, sweepS: 1.5, sweepY: 90, rx: 250, ry: 125, add: 80 };

export const lightChange: Scene = {
  durationS: 12,
  truth: [],
  async prepare(assets) {
    const noise = mildNoise(mulberry32(0x165667b1));
    const bright = scaleBrightness(assets.plate, LIGHT.gain);
    const on = Math.round(LIGHT.onS * FRAME.fps);
    const off = Math.round(LIGHT.offS * FRAME.fps);
    return (k) => {
      const frame = copyImage(k >= on && k < off ? bright : assets.plate);
      const u = (k / FRAME.fps - LIGHT.sweepStartS) / LIGHT.sweepS;
      if (u >= 0 && u <= 1) {
        const cx = -LIGHT.rx + u * (FRAME.width + 2 * LIGHT.rx);
        addSoftEllipse(frame, cx, LIGHT.sweepY, LIGHT.rx, LIGHT.ry, LIGHT.add);
      }
      noise(frame.data);
      return frame.data;
    };
  },
};
