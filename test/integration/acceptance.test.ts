/**
 * The product's promise on clips made from real imagery, through the real CLI,
 * real ffmpeg and the real model: a person or a vehicle gives exactly one event
 * near its entry; insects at the lens, light changes, foliage, an animal and an
 * empty scene give none. The whole set runs on each shipped model: the
 * default (the project's int8 model on onnxruntime), the converted fp32 model
 * on onnxruntime, and the original on TensorFlow.js (wasm).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventStore } from '../../src/events/store.js';
import { ensureClip, type ClipName } from '../support/clips.js';

const ROOT = (() => {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) d = dirname(d);
  return d;
})();

interface EventLine {
  id: string;
  camera: string;
  label: string;
  score: number;
  start_s: number;
  end_s: number;
  box: [number, number, number, number];
  snapshot: string | null;
}

/** The default model (int8 ONNX), its fp32 source (both on onnxruntime) and the original on TensorFlow.js. */
const MODELS = ['models/centernet-coco-int8', 'models/centernet-coco-onnx', 'models/centernet-coco'] as const;
type Model = (typeof MODELS)[number];
const TFJS_MODEL: Model = 'models/centernet-coco';

/** Each run's config, database and snapshots; removed when the file's tests end. */
const workDirs: string[] = [];
after(() => {
  for (const d of workDirs) rmSync(d, { recursive: true, force: true });
});

/** Runs `edge-agent analyze CLIP --json --explain` with storage in a temp dir. */
async function analyzeClip(name: ClipName, model: Model): Promise<{ events: EventLine[]; stderr: string; db: string }> {
  const clip = await ensureClip(name);
  const dir = mkdtempSync(join(tmpdir(), `acc-${name}-`));
  workDirs.push(dir);
  const cfg = join(dir, 'config.yaml');
  writeFileSync(cfg, `detector:\n  model: ${model}\ncameras:\n  - name: ${name}\nstorage:\n  db: ${join(dir, 'events.db')}\n  snapshots: ${join(dir, 'snaps')}\n`);
  const child = spawn(process.execPath, ['dist/src/cli/main.js', 'analyze', clip.path, '--config', cfg, '--json', '--explain'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
  const code = await new Promise<number | null>((r) => child.on('close', r));
  clearTimeout(timer);
  assert.equal(code, 0, `analyze ${name} exited ${code}:\n${err.slice(-2000)}`);
  assert.match(err, model === TFJS_MODEL ? /fps, tfjs-(wasm|node)\)/ : /fps, onnxruntime\)/, 'the configured runtime ran');
  const events = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as EventLine);
  return { events, stderr: err, db: join(dir, 'events.db') };
}

function explainOnFail(stderr: string): string {
  return stderr.split('\n').filter((l) => l.startsWith('track ') || l.startsWith('analyzed')).join('\n');
}

for (const model of MODELS) {
  describe(model, () => {
    test('a person crossing the scene gives exactly one person event starting within 1 s of entry', async () => {
      const clip = await ensureClip('person-crossing');
      const truth = clip.truth[0]!;
      const { events, stderr, db } = await analyzeClip('person-crossing', model);
      assert.equal(events.length, 1, explainOnFail(stderr));
      const store = new EventStore({ dbPath: db, snapshotDir: join(dirname(db), 'snaps') });
      store.open();
      try {
        assert.equal(store.count(), 1, 'the event is stored');
        assert.equal(store.countUndelivered(), 0, 'an analysed file never reaches the outbox');
      } finally {
        store.close();
      }
      const e = events[0]!;
      assert.equal(e.label, 'person');
      assert.equal(e.camera, 'person-crossing');
      assert.ok(e.start_s >= truth.enterS - 0.2 && e.start_s <= truth.enterS + 1, `start ${e.start_s} vs entry ${truth.enterS}`);
      assert.ok(e.end_s > e.start_s + 3, `the event should last while the person crosses (end ${e.end_s})`);
      assert.ok(e.score >= 0.5 && e.score <= 1);
      const [x1, y1, x2, y2] = e.box;
      assert.ok(x2 > x1 && y2 > y1 && (y2 - y1) / (x2 - x1) > 1.3, `a person's box is taller than wide: ${e.box}`);
      assert.ok(e.snapshot && existsSync(e.snapshot), 'snapshot file exists');
      const jpeg = readFileSync(e.snapshot!);
      assert.equal(jpeg[0], 0xff);
      assert.equal(jpeg[1], 0xd8);
      assert.match(e.id, /^[0-9a-f-]{36}$/);
    });

    test('a bus crossing gives exactly one vehicle event starting within 1 s of entry', async () => {
      const clip = await ensureClip('bus-crossing');
      const truth = clip.truth[0]!;
      const { events, stderr } = await analyzeClip('bus-crossing', model);
      assert.equal(events.length, 1, explainOnFail(stderr));
      assert.equal(events[0]!.label, 'vehicle');
      assert.ok(events[0]!.start_s <= truth.enterS + 1, `start ${events[0]!.start_s} vs entry ${truth.enterS}`);
    });

    for (const name of ['insects-ir', 'light-change', 'foliage', 'cat-crossing', 'empty-scene'] as const) {
      test(`${name} gives no event`, async () => {
        const { events, stderr } = await analyzeClip(name, model);
        assert.deepEqual(events, [], explainOnFail(stderr));
        assert.match(stderr, /analyzed \d+ frames/);
      });
    }
  });
}
