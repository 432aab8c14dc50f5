/**
 * Test clips made from real imagery, with ground truth: what the agent must
 * alert on (a person, a vehicle) and what it must not (insects at an IR lens,
 * lights switching, swaying foliage, a cat, nothing at all).
 *
 * Each clip is an H.264 MP4 (libx264, yuv420p, keyframe every 2 s), 1280x720 at
 * 10 fps, generated on first use into .cache/clips/<name>.mp4 from the footage
 * that scripts/fetch-footage.sh extracts, and reused while these generator
 * modules and the footage are unchanged (clip-cache.ts says why that is not an
 * mtime check). Generation is deterministic (seeded).
 *
 * Ground truth (s; an object is "in" from its first pixel entering to its last leaving):
 * - person-crossing (12 s): pedestrian from vtest.avi walks left to right along
 *   the path at 160 px/s, 180 px tall; enters 2.0, exits 10.381.
 * - bus-crossing (11 s): the double-decker drives right to left at 250 px/s,
 *   420 px wide; enters 2.0, exits 8.8.
 * - cat-crossing (12 s): the kitten (200 px tall) crosses the lawn at 180 px/s,
 *   visible 2.0 .. 10.028; no truth, animals are not alerts.
 * - insects-ir (12 s): grey night plate, strong noise, 2-3 bright blobs darting
 *   about (see clip-scene-night.ts); no truth.
 * - light-change (12 s): +70 % brightness for 4.0 .. 8.0, headlight sweep along
 *   the wall 10.0 .. 11.5; no truth.
 * - foliage (10 s): the lower-left lawn sways with a leaf texture all clip long; no truth.
 * - empty-scene (10 s): the plate with sensor noise; no truth.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatorStamp, isCurrent, markCurrent } from './clip-cache.js';
import { encodeRgbFrames } from './clip-ffmpeg.js';
import type { RgbaImage } from './clip-raster.js';
import { foliage } from './clip-scene-foliage.js';
import { insectsIr } from './clip-scene-night.js';
import {
  busCrossing,
  catCrossing,
  emptyScene,
  FRAME,
  lightChange,
  personCrossing,
  type RenderFrame,
  type Scene,
  type SceneAssets,
} from './clip-scenes.js';
import { busSprite, catSprite, FOOTAGE_FILES, loadPlates, personSprite, type Plates } from './clip-sources.js';

export type ClipName =
  | 'person-crossing'
  | 'bus-crossing'
  | 'insects-ir'
  | 'light-change'
  | 'foliage'
  | 'cat-crossing'
  | 'empty-scene';

export interface Clip {
  name: ClipName;
  path: string;
  width: number;
  height: number;
  fps: number;
  durationS: number;
  /** Ground truth: each object of interest with the time it becomes visible (s) and leaves (s). */
  truth: { label: 'person' | 'vehicle'; enterS: number; exitS: number }[];
}

const SCENES: Record<ClipName, Scene> = {
  'person-crossing': personCrossing,
  'bus-crossing': busCrossing,
  'insects-ir': insectsIr,
  'light-change': lightChange,
  foliage,
  'cat-crossing': catCrossing,
  'empty-scene': emptyScene,
};

export const CLIP_NAMES = Object.keys(SCENES) as ClipName[];

/**
 * The project root: the nearest folder up with both package.json and
 * tsconfig.json. Compiled code runs from dist/test/support/, and tsc may copy a
 * package.json into dist/ when something imports it; it never copies tsconfig.
 */
function projectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsconfig.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no folder with package.json and tsconfig.json above ${from}`);
  }
}

const HERE = dirname(fileURLToPath(import.meta.url));
export const PROJECT_ROOT = projectRoot(HERE);
export const FOOTAGE_DIR = join(PROJECT_ROOT, '.cache', 'footage');
export const CLIP_DIR = join(PROJECT_ROOT, '.cache', 'clips');
/** The 1280x720 background plate every daylight clip is drawn on (written by ensurePlates). */
export const PLATE_PATH = join(CLIP_DIR, 'plate.png');

function requireFootage(): string[] {
  const paths = Object.values(FOOTAGE_FILES).map((f) => join(FOOTAGE_DIR, f));
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(`test footage missing (${missing.join(', ')}): run \`bash scripts/fetch-footage.sh\` in ${PROJECT_ROOT}`);
  }
  return paths;
}

let stamp: Promise<string> | undefined;

/** The generator stamp, computed once per process (the modules cannot change under a running process). */
function currentStamp(): Promise<string> {
  const footage = requireFootage();
  stamp ??= generatorStamp(HERE, footage).catch((e: unknown) => {
    stamp = undefined;
    throw e;
  });
  return stamp;
}

let plates: Promise<Plates> | undefined;
let assets: Promise<SceneAssets> | undefined;

/** The background plates (native 768x576 and 1280x720), built or loaded once per process. */
export async function ensurePlates(): Promise<Plates> {
  plates ??= (async () => {
    const current = await currentStamp();
    await mkdir(CLIP_DIR, { recursive: true });
    return loadPlates(FOOTAGE_DIR, CLIP_DIR, FRAME, current);
  })().catch((e: unknown) => {
    plates = undefined;
    throw e;
  });
  return plates;
}

function memo<T>(load: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= load());
}

function loadAssets(): Promise<SceneAssets> {
  assets ??= ensurePlates().then((p) => ({
    plate: p.scaled,
    person: memo<RgbaImage>(() => personSprite(FOOTAGE_DIR, p.native)),
    bus: memo<RgbaImage>(() => busSprite(FOOTAGE_DIR)),
    cat: memo<RgbaImage>(() => catSprite(FOOTAGE_DIR)),
  }));
  void assets.catch(() => (assets = undefined));
  return assets;
}

function* renderAll(render: RenderFrame, count: number): Generator<Buffer> {
  for (let k = 0; k < count; k++) yield render(k);
}

async function generate(clip: Clip, scene: Scene, current: string): Promise<void> {
  const started = performance.now();
  const render = await scene.prepare(await loadAssets());
  const count = Math.round(clip.durationS * clip.fps);
  // Written under a temporary name and renamed, so a crash never leaves half a clip.
  const tmp = join(CLIP_DIR, `.${clip.name}.${process.pid}.${Date.now()}.tmp.mp4`);
  try {
    await encodeRgbFrames(renderAll(render, count), clip, tmp);
    await rename(tmp, clip.path);
    await markCurrent(clip.path, current);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stderr.write(`clips: made ${clip.name} (${count} frames) in ${seconds} s\n`);
}

function clipInfo(name: ClipName, scene: Scene): Clip {
  return {
    name,
    path: join(CLIP_DIR, `${name}.mp4`),
    ...FRAME,
    durationS: scene.durationS,
    truth: scene.truth.map((t) => ({ ...t })),
  };
}

async function build(name: ClipName): Promise<Clip> {
  const scene = SCENES[name];
  if (!scene) throw new Error(`unknown clip "${String(name)}"; known: ${CLIP_NAMES.join(', ')}`);
  const clip = clipInfo(name, scene);
  const current = await currentStamp();
  if (await isCurrent(clip.path, current)) return clip;
  await mkdir(CLIP_DIR, { recursive: true });
  await generate(clip, scene, current);
  return clip;
}

const inFlight = new Map<ClipName, Promise<Clip>>();

/** The clip, generated first if it is missing or was made by other generator code or footage. */
export async function ensureClip(name: ClipName): Promise<Clip> {
  let pending = inFlight.get(name);
  if (!pending) {
    pending = build(name).finally(() => inFlight.delete(name));
    inFlight.set(name, pending);
  }
  return pending;
}

/** Every clip, in CLIP_NAMES order, generated one after another (ffmpeg already uses the cores). */
export async function ensureAllClips(): Promise<Clip[]> {
  const clips: Clip[] = [];
  for (const name of CLIP_NAMES) clips.push(await ensureClip(name));
  return clips;
}
