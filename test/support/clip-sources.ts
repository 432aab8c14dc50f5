/**
 * The real imagery test clips are built from: a background plate (the vtest.avi
 * walkway with its pedestrians removed by a temporal median) and sprites with
 * alpha cut from real pictures (a pedestrian from vtest.avi, the bus photo, the
 * kitten photo). Footage comes from scripts/fetch-footage.sh (Debian opencv-doc).
 */
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { isCurrent, markCurrent } from './clip-cache.js';
import { decodeRgb } from './clip-ffmpeg.js';
import { diffMask, dilate, featherAlpha, fillHoles, largestComponent, type Box } from './clip-mask.js';
import { featheredRect, type RgbImage, type RgbaImage } from './clip-raster.js';

export const FOOTAGE_FILES = {
  walkway: 'vtest.avi', // 768x576, 10 fps, 795 frames
  bus: 'pexels_double_decker_bus.jpg', // 546x413
  cat: 'cat_det.jpg', // 416x416
} as const;

/** vtest.avi's native frame size. */
export const NATIVE = { width: 768, height: 576 } as const;

/** The median takes every 13th frame, 60 of them: frames 0..767 of 795, so each walker is in few samples. */
const PLATE_SAMPLES = 60;
const PLATE_STEP = 13;

/**
 * The pedestrian cut for the person sprite. Found by differencing every 13th
 * frame against the native median plate (max channel diff > 30, 8-connected
 * components, 60..120 px tall, h/w > 1.8, inside the frame, nothing within
 * 15 px) and viewing the candidates: frame 52's walker (dark jacket, jeans,
 * walking away on the grey path, 38x113 px) had the cleanest silhouette.
 * `node dist/test/support/clip-find-person.js` lists the candidates again.
 */
export const PERSON_CUT = {
  frame: 52,
  box: { x0: 662, y0: 252, x1: 699, y1: 364 } satisfies Box,
  /** Transparent border kept around the box so dilation and feathering fit, native px. */
  marginPx: 4,
  /** Max channel difference that counts as foreground, levels. */
  threshold: 30,
} as const;

/** The person's height in the 1280x720 clips, px (about 1.75 m at the path's distance). */
export const PERSON_BODY_HEIGHT_PX = 180;

/** Bus photo crop: the bus spans x 65..480, y 110..390; 5 px margin, later feathered. */
const BUS_CROP = { left: 60, top: 105, width: 426, height: 291 } as const;
export const BUS_WIDTH_PX = 420;

/** Kitten photo crop, just inside the blue box's vertical sides, full height. */
const CAT_CROP = { left: 38, top: 0, width: 341, height: 413 } as const;
export const CAT_HEIGHT_PX = 200;

/** Feather ramp of the rectangular photo sprites, px. */
const PHOTO_FEATHER_PX = 6;

export interface SpriteGeometry {
  width: number;
  height: number;
  /** Where the object itself sits inside the sprite (the person sprite has a transparent margin). */
  body: { x: number; y: number; w: number; h: number };
}

export function personGeometry(): SpriteGeometry {
  const { box, marginPx } = PERSON_CUT;
  const bodyW = box.x1 - box.x0 + 1;
  const bodyH = box.y1 - box.y0 + 1;
  const s = PERSON_BODY_HEIGHT_PX / bodyH;
  return {
    width: Math.round((bodyW + 2 * marginPx) * s),
    height: Math.round((bodyH + 2 * marginPx) * s),
    body: { x: Math.round(marginPx * s), y: Math.round(marginPx * s), w: Math.round(bodyW * s), h: PERSON_BODY_HEIGHT_PX },
  };
}

function rectGeometry(width: number, height: number): SpriteGeometry {
  return { width, height, body: { x: 0, y: 0, w: width, h: height } };
}

export function busGeometry(): SpriteGeometry {
  return rectGeometry(BUS_WIDTH_PX, Math.round((BUS_CROP.height * BUS_WIDTH_PX) / BUS_CROP.width));
}

export function catGeometry(): SpriteGeometry {
  return rectGeometry(Math.round((CAT_CROP.width * CAT_HEIGHT_PX) / CAT_CROP.height), CAT_HEIGHT_PX);
}

async function readRgb(path: string): Promise<RgbImage> {
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

async function writePngAtomically(img: RgbImage, path: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp.png`;
  try {
    await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).png().toFile(tmp);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** Per-pixel, per-channel median of `count` packed frames. */
function temporalMedian(frames: Buffer, frameBytes: number, count: number): Buffer {
  const out = Buffer.alloc(frameBytes);
  const samples = new Uint8Array(count);
  for (let i = 0; i < frameBytes; i++) {
    for (let k = 0; k < count; k++) samples[k] = frames[k * frameBytes + i] ?? 0;
    samples.sort();
    out[i] = samples[count >> 1] ?? 0;
  }
  return out;
}

async function medianPlate(videoPath: string): Promise<RgbImage> {
  const frameBytes = NATIVE.width * NATIVE.height * 3;
  const frames = await decodeRgb(videoPath, { filter: `select=not(mod(n\\,${PLATE_STEP}))`, maxFrames: PLATE_SAMPLES });
  const count = Math.floor(frames.length / frameBytes);
  if (count < PLATE_SAMPLES / 2) throw new Error(`${videoPath} gave only ${count} frames for the background plate`);
  return { ...NATIVE, data: temporalMedian(frames, frameBytes, count) };
}

export interface Plates {
  /** 768x576, for cutting sprites out of vtest.avi frames. */
  native: RgbImage;
  /** Stretched to the clip size. */
  scaled: RgbImage;
}

/**
 * The walkway without people, cached as plate-native.png and plate.png in
 * `clipDir` (rebuilt unless stamped with `stamp`, see clip-cache.ts). The
 * parked van stays: it does not move.
 */
export async function loadPlates(
  footageDir: string,
  clipDir: string,
  size: { width: number; height: number },
  stamp: string,
): Promise<Plates> {
  const nativePath = join(clipDir, 'plate-native.png');
  const scaledPath = join(clipDir, 'plate.png');
  if ((await isCurrent(nativePath, stamp)) && (await isCurrent(scaledPath, stamp))) {
    return { native: await readRgb(nativePath), scaled: await readRgb(scaledPath) };
  }
  const native = await medianPlate(join(footageDir, FOOTAGE_FILES.walkway));
  const data = await sharp(native.data, { raw: { ...NATIVE, channels: 3 } })
    .resize(size.width, size.height, { fit: 'fill' })
    .raw()
    .toBuffer();
  const scaled = { ...size, data };
  await writePngAtomically(native, nativePath);
  await writePngAtomically(scaled, scaledPath);
  await markCurrent(nativePath, stamp);
  await markCurrent(scaledPath, stamp);
  return { native, scaled };
}

async function resizeRgba(img: RgbaImage, width: number, height: number): Promise<RgbaImage> {
  const data = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 4 } })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer();
  return { width, height, data };
}

/** The PERSON_CUT pedestrian with alpha from its dilated, hole-filled, feathered difference mask. */
export async function personSprite(footageDir: string, nativePlate: RgbImage): Promise<RgbaImage> {
  const { frame, box, marginPx, threshold } = PERSON_CUT;
  const video = join(footageDir, FOOTAGE_FILES.walkway);
  const full = await decodeRgb(video, { filter: `select=eq(n\\,${frame})`, maxFrames: 1 });
  const x0 = box.x0 - marginPx;
  const y0 = box.y0 - marginPx;
  const w = box.x1 - box.x0 + 1 + 2 * marginPx;
  const h = box.y1 - box.y0 + 1 + 2 * marginPx;
  const crop = Buffer.alloc(w * h * 3);
  const plate = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    const src = ((y0 + y) * NATIVE.width + x0) * 3;
    full.copy(crop, y * w * 3, src, src + w * 3);
    nativePlate.data.copy(plate, y * w * 3, src, src + w * 3);
  }
  const mask = dilate(fillHoles(largestComponent(diffMask(crop, plate, w, h, threshold))), 1);
  const alpha = featherAlpha(mask);
  const rgba = Buffer.alloc(w * h * 4);
  for (let p = 0; p < w * h; p++) {
    crop.copy(rgba, p * 4, p * 3, p * 3 + 3);
    rgba[p * 4 + 3] = alpha[p] ?? 0;
  }
  const g = personGeometry();
  return resizeRgba({ width: w, height: h, data: rgba }, g.width, g.height);
}

async function photoSprite(
  path: string,
  crop: { left: number; top: number; width: number; height: number },
  g: SpriteGeometry,
  mirror: boolean,
): Promise<RgbaImage> {
  let img = sharp(path).removeAlpha().extract(crop);
  if (mirror) img = img.flop();
  const data = await img.resize(g.width, g.height, { fit: 'fill' }).raw().toBuffer();
  return featheredRect({ width: g.width, height: g.height, data }, PHOTO_FEATHER_PX);
}

/** The red double-decker, mirrored so that it drives forwards when it crosses right to left. */
export function busSprite(footageDir: string): Promise<RgbaImage> {
  return photoSprite(join(footageDir, FOOTAGE_FILES.bus), BUS_CROP, busGeometry(), true);
}

export function catSprite(footageDir: string): Promise<RgbaImage> {
  return photoSprite(join(footageDir, FOOTAGE_FILES.cat), CAT_CROP, catGeometry(), false);
}
