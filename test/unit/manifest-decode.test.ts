/**
 * The model manifest check against the real CenterNet model (and damaged
 * copies of it), and the pure output decoder that maps model rows into frame
 * pixels.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentError, type ErrorCode } from '../../src/core/errors.js';
import type { Box } from '../../src/core/types.js';
import { decodeXyxyScoreClass, type DecodeContext } from '../../src/detector/decode.js';
import { loadManifest } from '../../src/detector/manifest.js';

/** Nearest folder up with package.json and tsconfig.json (tsc may copy a package.json into dist/, never tsconfig). */
function projectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsconfig.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no project root above ${from}`);
  }
}

const MODEL = join(projectRoot(dirname(fileURLToPath(import.meta.url))), 'models', 'centernet-coco');

function agentErrorOf(fn: () => unknown, code: ErrorCode): AgentError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof AgentError, `expected an AgentError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}, nothing was thrown`);
}

describe('loadManifest', () => {
  let tmp: string;
  let copy: string;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'manifest-test-'));
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });
  // A fresh copy of the real model per test, so each damages only its own.
  let n = 0;
  beforeEach(async () => {
    copy = join(tmp, `model-${n++}`);
    await cp(MODEL, copy, { recursive: true });
  });

  async function editManifest(edit: (m: Record<string, unknown>) => void): Promise<string> {
    const path = join(copy, 'manifest.json');
    const m = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    edit(m);
    await writeFile(path, JSON.stringify(m));
    return path;
  }

  it('accepts the real model and reports its name, input size and labels', () => {
    const { dir, manifest } = loadManifest(MODEL);
    assert.equal(dir, MODEL);
    assert.equal(manifest.name, 'centernet-coco');
    assert.equal(manifest.format, 'tfjs-graph');
    assert.equal(manifest.input.width, 512);
    assert.equal(manifest.input.height, 512);
    assert.equal(manifest.labels.length, 80);
    assert.equal(manifest.labels[0], 'person');
    assert.ok(manifest.labels.includes('car'));
    assert.ok(manifest.graph in manifest.files);
  });

  it('accepts an undamaged copy (the tests below fail for their damage, not the copy)', () => {
    assert.equal(loadManifest(copy).manifest.name, 'centernet-coco');
  });

  it('refuses a weights file with one flipped byte, naming the file', async () => {
    const bin = join(copy, 'centernet.bin');
    const bytes = await readFile(bin);
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
    await writeFile(bin, bytes);
    const e = agentErrorOf(() => loadManifest(copy), 'MODEL_CHECKSUM_MISMATCH');
    assert.ok(e.message.includes(bin), e.message);
    assert.ok(e.hint, 'a checksum mismatch says what to do');
  });

  it('refuses a missing weights file with MODEL_NOT_FOUND naming it', async () => {
    await rm(join(copy, 'centernet.bin'));
    const e = agentErrorOf(() => loadManifest(copy), 'MODEL_NOT_FOUND');
    assert.ok(e.message.includes(join(copy, 'centernet.bin')), e.message);
  });

  it('refuses a manifest field of the wrong value, naming its path', async () => {
    const path = await editManifest((m) => {
      (m.input as Record<string, unknown>).width = -1;
    });
    const e = agentErrorOf(() => loadManifest(copy), 'MODEL_MANIFEST_INVALID');
    assert.ok(e.message.includes(path), e.message);
    assert.match(e.message, /input\.width/);
  });

  it('refuses a manifest that is not JSON', async () => {
    await writeFile(join(copy, 'manifest.json'), '{ "schema": 1, ');
    const e = agentErrorOf(() => loadManifest(copy), 'MODEL_MANIFEST_INVALID');
    assert.match(e.message, /not valid JSON/);
  });

  it('refuses a file entry that points outside the model folder', async () => {
    // The escape target exists and its checksum is right: only the path rule can refuse it.
    const outside = join(tmp, 'escape');
    await writeFile(outside, 'x');
    const sha = createHash('sha256').update('x').digest('hex');
    await editManifest((m) => {
      (m.files as Record<string, string>)['../escape'] = sha;
    });
    const e = agentErrorOf(() => loadManifest(copy), 'MODEL_MANIFEST_INVALID');
    assert.match(e.message, /\.\.\/escape/);
    assert.match(e.message, /inside/);
  });

  it('refuses a graph file that the files list does not checksum', async () => {
    await editManifest((m) => {
      m.graph = 'other.json';
    });
    const e = agentErrorOf(() => loadManifest(copy), 'MODEL_MANIFEST_INVALID');
    assert.match(e.message, /other\.json/);
  });

  it('refuses a graph named like an Object prototype key that files does not list', async () => {
    // `"constructor" in files` is true for any plain object: the graph must be an own key of files.
    await editManifest((m) => {
      m.graph = 'constructor';
    });
    const e = agentErrorOf(() => loadManifest(copy), 'MODEL_MANIFEST_INVALID');
    assert.match(e.message, /constructor/);
  });

  it('refuses a folder without manifest.json with MODEL_NOT_FOUND', async () => {
    await rm(join(copy, 'manifest.json'));
    const e = agentErrorOf(() => loadManifest(copy), 'MODEL_NOT_FOUND');
    assert.ok(e.message.includes(join(copy, 'manifest.json')), e.message);
  });

  it('refuses a folder that does not exist with MODEL_NOT_FOUND', () => {
    agentErrorOf(() => loadManifest(join(tmp, 'no-such-model')), 'MODEL_NOT_FOUND');
  });
});

describe('decodeXyxyScoreClass', () => {
  const region: Box = [100, 50, 356, 306]; // 256x256 of the frame fed as 512x512: x0.5
  const ctx: DecodeContext = {
    region,
    inputWidth: 512,
    inputHeight: 512,
    labels: ['person', 'bicycle', 'car'],
    minScore: 0.3,
    coordinates: 'input-pixels',
  };
  const row = (x1: number, y1: number, x2: number, y2: number, score: number, cls: number): number[] => [x1, y1, x2, y2, score, cls];

  it('maps the whole model input onto the region', () => {
    const out = decodeXyxyScoreClass(row(0, 0, 512, 512, 0.9, 0), ctx);
    assert.deepEqual(out, [{ box: [100, 50, 356, 306], score: 0.9, label: 'person' }]);
  });

  it('maps input pixels into frame pixels with the region scale and offset', () => {
    const out = decodeXyxyScoreClass(row(100, 200, 300, 400, 0.8, 2), ctx);
    assert.deepEqual(out, [{ box: [150, 150, 250, 250], score: 0.8, label: 'car' }]);
  });

  it('maps normalized coordinates the same way', () => {
    const out = decodeXyxyScoreClass(row(0.25, 0.5, 0.75, 1, 0.8, 1), { ...ctx, coordinates: 'normalized' });
    assert.deepEqual(out, [{ box: [164, 178, 292, 306], score: 0.8, label: 'bicycle' }]);
  });

  it('clamps boxes that reach past the input to the region', () => {
    const out = decodeXyxyScoreClass(row(-40, -20, 600, 700, 0.7, 0), ctx);
    assert.deepEqual(out.map((d) => d.box), [[100, 50, 356, 306]]);
  });

  it('drops a box that lies wholly outside the region', () => {
    assert.deepEqual(decodeXyxyScoreClass(row(600, 600, 700, 700, 0.9, 0), ctx), []);
  });

  it('drops rows below minScore and keeps one exactly at it', () => {
    const data = [...row(0, 0, 100, 100, 0.29, 0), ...row(0, 0, 100, 100, 0.3, 0), ...row(0, 0, 100, 100, Number.NaN, 0)];
    assert.deepEqual(decodeXyxyScoreClass(data, ctx).map((d) => d.score), [0.3]);
  });

  it('drops class indices outside the label list', () => {
    const data = [...row(0, 0, 100, 100, 0.9, 3), ...row(0, 0, 100, 100, 0.9, -1), ...row(0, 0, 100, 100, 0.9, 2)];
    assert.deepEqual(decodeXyxyScoreClass(data, ctx).map((d) => d.label), ['car']);
  });

  it('skips NaN and fractional class values', () => {
    const data = [...row(0, 0, 100, 100, 0.9, Number.NaN), ...row(0, 0, 100, 100, 0.9, 1.5), ...row(0, 0, 100, 100, 0.9, 0)];
    assert.deepEqual(decodeXyxyScoreClass(data, ctx).map((d) => d.label), ['person']);
  });

  it('decodes every complete row of a Float32Array and ignores a trailing partial row', () => {
    const data = new Float32Array([...row(0, 0, 64, 64, 0.5, 0), ...row(64, 64, 128, 128, 0.5, 2), 1, 2, 3]);
    const out = decodeXyxyScoreClass(data, ctx);
    assert.deepEqual(out.map((d) => d.box), [[100, 50, 132, 82], [132, 82, 164, 114]]);
  });
});
