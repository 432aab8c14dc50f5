/** The shared detector in front of the real model worker: fairness and shedding. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAgentError } from '../../src/core/errors.js';
import type { Frame } from '../../src/core/types.js';
import { SharedDetector } from '../../src/detector/shared-detector.js';
import { WorkerDetector } from '../../src/detector/worker-detector.js';

const ROOT = (() => {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) d = dirname(d);
  return d;
})();

let worker: WorkerDetector;
before(async () => {
  ({ detector: worker } = await WorkerDetector.start({ modelDir: join(ROOT, 'models/centernet-coco'), runtime: 'auto', minScore: 0.3 }));
});
after(async () => worker.close());

const frame = (index: number): Frame => ({ index, tS: index / 5, width: 512, height: 512, rgb: new Uint8Array(512 * 512 * 3).fill(index % 255) });
const whole = [[0, 0, 512, 512] as const];

type Outcome = 'done' | 'shed';
const outcome = (p: Promise<unknown>): Promise<Outcome> =>
  p.then(
    () => 'done' as const,
    (e: unknown) => {
      if (isAgentError(e) && e.code === 'DETECTOR_BUSY') return 'shed' as const;
      throw e;
    },
  );

test('a camera flooding the detector sheds its own older frames, not the other camera', async () => {
  const shared = new SharedDetector(worker, { perCamera: 1, maxWaitMs: 60_000 });
  const a = shared.forCamera('a');
  const b = shared.forCamera('b');
  const first = outcome(a.detect(frame(0), whole)); // starts running at once
  const bReq = outcome(b.detect(frame(1), whole));
  const flood = [2, 3, 4, 5].map((i) => outcome(a.detect(frame(i), whole)));
  const results = await Promise.all([first, bReq, ...flood]);
  assert.deepEqual(results, ['done', 'done', 'shed', 'shed', 'shed', 'done']);
  const s = shared.stats();
  assert.deepEqual(s.cameras.a, { requests: 5, shed: 3 });
  assert.deepEqual(s.cameras.b, { requests: 1, shed: 0 });
  assert.equal(s.waiting, 0);
});

test('a request that waited longer than maxWaitMs is shed instead of run late', async () => {
  let clock = 0;
  const shared = new SharedDetector(worker, { perCamera: 4, maxWaitMs: 100, now: () => clock });
  const running = outcome(shared.detect('a', frame(0), whole));
  const late = outcome(shared.detect('b', frame(1), whole));
  clock = 500; // b's request has now waited 500 ms when the detector frees up
  assert.deepEqual(await Promise.all([running, late]), ['done', 'shed']);
});

test('results come back per region with boxes inside the region', async () => {
  const shared = new SharedDetector(worker);
  const res = await shared.detect('a', frame(7), [[0, 0, 256, 256], [256, 256, 512, 512]]);
  assert.equal(res.length, 2);
  for (const d of res[1]!) assert.ok(d.box[0] >= 256 && d.box[1] >= 256);
});
