/**
 * The generated test clips are what the rest of the suite trusts as ground
 * truth, so check them the way a consumer sees them: through ffprobe and
 * ffmpeg decoding of the MP4 files.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { decodeFrameAt, probeVideo } from '../support/clip-ffmpeg.js';
import type { RgbImage } from '../support/clip-raster.js';
import { CLIP_NAMES, ensureClip, ensurePlates, type Clip } from '../support/clips.js';

/** Side of the blocks the frame is compared in, px. */
const BLOCK = 16;
/** A block whose mean abs difference from the plate exceeds this holds an object, levels. */
const OBJECT_LEVELS = 20;
/** Noise (+-4) plus H.264 loss stays well under this mean abs difference, levels. */
const NOISE_LEVELS = 6;

function meanAbsDiff(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
  return sum / a.length;
}

interface Region {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Bounding box of the blocks that differ clearly from the plate, or undefined if none do. */
function changedRegion(frame: Buffer, plate: RgbImage): Region | undefined {
  let region: Region | undefined;
  for (let by = 0; by + BLOCK <= plate.height; by += BLOCK) {
    for (let bx = 0; bx + BLOCK <= plate.width; bx += BLOCK) {
      let sum = 0;
      for (let y = by; y < by + BLOCK; y++) {
        for (let i = (y * plate.width + bx) * 3, end = i + BLOCK * 3; i < end; i++) {
          sum += Math.abs((frame[i] ?? 0) - (plate.data[i] ?? 0));
        }
      }
      if (sum / (BLOCK * BLOCK * 3) <= OBJECT_LEVELS) continue;
      region = {
        x0: Math.min(region?.x0 ?? bx, bx),
        y0: Math.min(region?.y0 ?? by, by),
        x1: Math.max(region?.x1 ?? 0, bx + BLOCK),
        y1: Math.max(region?.y1 ?? 0, by + BLOCK),
      };
    }
  }
  return region;
}

/** Mean abs difference from the plate inside and outside `r`, levels. */
function splitDiff(frame: Buffer, plate: RgbImage, r: Region): { inside: number; outside: number } {
  let inSum = 0;
  let inCount = 0;
  let total = 0;
  for (let y = 0; y < plate.height; y++) {
    for (let x = 0; x < plate.width; x++) {
      for (let i = (y * plate.width + x) * 3, c = 0; c < 3; c++) {
        const d = Math.abs((frame[i + c] ?? 0) - (plate.data[i + c] ?? 0));
        total += d;
        if (x >= r.x0 && x < r.x1 && y >= r.y0 && y < r.y1) {
          inSum += d;
          inCount++;
        }
      }
    }
  }
  return { inside: inSum / inCount, outside: (total - inSum) / (frame.length - inCount) };
}

describe('test clips', () => {
  for (const name of CLIP_NAMES) {
    it(`${name} is an H.264 1280x720 MP4 with the declared duration and frame count`, async () => {
      const clip = await ensureClip(name);
      const probed = await probeVideo(clip.path);
      assert.equal(probed.codec, 'h264');
      assert.deepEqual([probed.width, probed.height], [1280, 720]);
      assert.deepEqual([clip.width, clip.height], [1280, 720]);
      assert.ok(clip.durationS >= 8 && clip.durationS <= 14, `${name} lasts ${clip.durationS} s, want 8..14`);
      assert.ok(
        Math.abs(probed.durationS - clip.durationS) <= 0.2,
        `${name}: ffprobe says ${probed.durationS} s, declared ${clip.durationS} s`,
      );
      assert.equal(probed.frames, Math.round(clip.durationS * clip.fps));
      assert.ok(Math.abs(probed.fps - clip.fps) < 1e-6, `${name}: ${probed.fps} fps, declared ${clip.fps}`);
    });
  }

  it('declares ground truth only for the person and the vehicle, inside the clip', async () => {
    const labels: Record<string, string[]> = {};
    for (const name of CLIP_NAMES) {
      const clip = await ensureClip(name);
      labels[name] = clip.truth.map((t) => t.label);
      for (const t of clip.truth) {
        assert.ok(t.enterS >= 0 && t.enterS < t.exitS && t.exitS <= clip.durationS, `${name}: ${JSON.stringify(t)}`);
      }
    }
    assert.deepEqual(labels, {
      'person-crossing': ['person'],
      'bus-crossing': ['vehicle'],
      'insects-ir': [],
      'light-change': [],
      foliage: [],
      'cat-crossing': [],
      'empty-scene': [],
    });
  });

  describe('person-crossing', () => {
    let clip: Clip;
    let plate: RgbImage;
    before(async () => {
      clip = await ensureClip('person-crossing');
      plate = (await ensurePlates()).scaled;
    });

    it('before the person enters, differs from the plate only by noise', async () => {
      assert.ok(clip.truth[0] && clip.truth[0].enterS > 1.0);
      const frame = await decodeFrameAt(clip.path, 1.0, clip.width, clip.height);
      const diff = meanAbsDiff(frame, plate.data);
      assert.ok(diff < NOISE_LEVELS, `mean abs diff ${diff.toFixed(2)} at 1.0 s`);
      assert.equal(changedRegion(frame, plate), undefined);
    });

    it('mid-walk, differs clearly in one person-sized region and only by noise elsewhere', async () => {
      const frame = await decodeFrameAt(clip.path, 5.0, clip.width, clip.height);
      const region = changedRegion(frame, plate);
      assert.ok(region, 'no region differs from the plate at 5.0 s');
      const w = region.x1 - region.x0;
      const h = region.y1 - region.y0;
      assert.ok(h >= 120 && h <= 240 && w >= 16 && w <= 120 && h > 1.5 * w, `changed region ${w}x${h} px`);
      const { inside, outside } = splitDiff(frame, plate, region);
      assert.ok(inside > 25, `mean abs diff in the person's region ${inside.toFixed(1)}`);
      assert.ok(outside < NOISE_LEVELS, `mean abs diff elsewhere ${outside.toFixed(2)}`);
    });
  });
});
