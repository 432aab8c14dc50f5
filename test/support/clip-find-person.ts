/**
 * Lists pedestrians in vtest.avi that would make a clean person sprite: every
 * 13th frame differenced against the native median plate, components of
 * plausible person size that are inside the frame and alone. Used once to
 * choose PERSON_CUT (clip-sources.ts); run it again to re-check that choice:
 *   node dist/test/support/clip-find-person.js
 */
import { join } from 'node:path';
import { decodeRgb } from './clip-ffmpeg.js';
import { components, diffMask, type Component } from './clip-mask.js';
import { ensurePlates, FOOTAGE_DIR } from './clips.js';
import { FOOTAGE_FILES, NATIVE, PERSON_CUT } from './clip-sources.js';

const STEP = 13;
const FRAMES = 60;
const MIN_AREA = 40; // px; smaller components are noise and compression speckle
const HEIGHT = [60, 120] as const; // px at 768x576
const MIN_ASPECT = 1.8; // height / width
const ALONE_PX = 15; // no other component this close to the box
const EDGE_PX = 3;

function plausible(c: Component): boolean {
  const w = c.x1 - c.x0 + 1;
  const h = c.y1 - c.y0 + 1;
  const inside = c.x0 >= EDGE_PX && c.y0 >= EDGE_PX && c.x1 < NATIVE.width - EDGE_PX && c.y1 < NATIVE.height - EDGE_PX;
  return inside && h >= HEIGHT[0] && h <= HEIGHT[1] && h / w > MIN_ASPECT;
}

function alone(c: Component, all: Component[]): boolean {
  return !all.some(
    (o) => o !== c && o.x1 >= c.x0 - ALONE_PX && o.x0 <= c.x1 + ALONE_PX && o.y1 >= c.y0 - ALONE_PX && o.y0 <= c.y1 + ALONE_PX,
  );
}

async function main(): Promise<void> {
  const { native } = await ensurePlates();
  const video = join(FOOTAGE_DIR, FOOTAGE_FILES.walkway);
  const frames = await decodeRgb(video, { filter: `select=not(mod(n\\,${STEP}))`, maxFrames: FRAMES });
  const bytes = NATIVE.width * NATIVE.height * 3;
  for (let k = 0; k * bytes < frames.length; k++) {
    const frame = frames.subarray(k * bytes, (k + 1) * bytes);
    const mask = diffMask(frame, native.data, NATIVE.width, NATIVE.height, PERSON_CUT.threshold);
    const all = components(mask).list.filter((c) => c.area >= MIN_AREA);
    for (const c of all.filter((c) => plausible(c) && alone(c, all))) {
      const fill = c.area / ((c.x1 - c.x0 + 1) * (c.y1 - c.y0 + 1));
      console.log(`frame ${k * STEP}: x ${c.x0}..${c.x1} y ${c.y0}..${c.y1} area ${c.area} fill ${fill.toFixed(2)}`);
    }
  }
  console.log(`chosen: frame ${PERSON_CUT.frame}, box ${JSON.stringify(PERSON_CUT.box)}`);
}

await main();
