/**
 * The committed int8 model (models/centernet-coco-int8): its manifest, that
 * ORT really runs it on int8 kernels, and how closely it follows the fp32
 * model on held-out real walkway frames and crops (never used in calibration).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadManifest } from '../../src/detector/manifest.js';
import { compareModels, type EvalReport } from '../../src/convert/evaluate.js';
import { buildInputs } from '../../src/convert/frames.js';
import { EVAL_SET, FOOTAGE } from '../../src/convert/frame-sets.js';
import { decodeModel } from '../../src/convert/onnx-codec.js';
import { openSession } from '../../src/convert/ort-session.js';

const FP32 = join(process.cwd(), 'models/centernet-coco-onnx');
const INT8 = join(process.cwd(), 'models/centernet-coco-int8');

/**
 * Regression floors a little under what the committed model measured on this
 * set (persons matched 85.7 %, inputs one-to-one 37.5 %, inputs agreeing up
 * to threshold effects 83.8 %). The goal, persons agreeing on >= 95 %
 * of inputs, is not reached: `npm run bench:detector` prints the gap, and the
 * int8 model is not the default until it is.
 */
const FLOOR_PERSON_DETECTIONS = 80;
const FLOOR_PERSON_FRAMES = 30;
const FLOOR_PERSON_FRAMES_UP_TO_THRESHOLD = 75;

function graphFile(dir: string): string {
  const { dir: d, manifest } = loadManifest(dir);
  return join(d, manifest.graph);
}

describe('int8 ONNX model', () => {
  let report: EvalReport;

  before(async () => {
    assert.ok(existsSync(FOOTAGE), `${FOOTAGE} missing: run bash scripts/fetch-footage.sh`);
    report = await compareModels(graphFile(FP32), graphFile(INT8), await buildInputs(EVAL_SET, loadManifest(INT8).manifest.input.width));
  });

  it('has a manifest the agent accepts, with calibration and scheme in its provenance', () => {
    const { manifest } = loadManifest(INT8);
    assert.equal(manifest.format, 'onnx');
    assert.deepEqual(manifest.output, loadManifest(FP32).manifest.output);
    assert.match(manifest.provenance.calibration ?? '', /inputs/);
    assert.match(manifest.provenance.quantization ?? '', /per output channel/);
  });

  it('runs as int8 kernels in ORT: every quantized conv becomes QLinearConv', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'int8-opt-'));
    const optimized = join(dir, 'optimized.onnx');
    try {
      const session = await openSession(graphFile(INT8), { threads: 1, optimizedModelPath: optimized });
      await session.release();
      const ops = decodeModel(readFileSync(optimized)).nodes.map((n) => n.op);
      const count = (op: string) => ops.filter((o) => o === op).length;
      const qdqConvs = decodeModel(readFileSync(graphFile(INT8))).nodes.filter((n) => n.op === 'Conv' && n.inputs[1]?.endsWith('/dq')).length;
      assert.ok(qdqConvs > 60, `${qdqConvs} convs with int8 weights`);
      assert.equal(count('QLinearConv'), qdqConvs);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it(`keeps person detections at the measured level (>= ${FLOOR_PERSON_DETECTIONS} % matched, >= ${FLOOR_PERSON_FRAMES} % of inputs one-to-one)`, () => {
    assert.ok(report.inputs >= 40, `${report.inputs} inputs`);
    assert.ok(report.persons.a > 200, 'the held-out inputs should hold plenty of persons');
    assert.ok(report.persons.percent >= FLOOR_PERSON_DETECTIONS, `persons ${report.persons.percent} %`);
    assert.ok(report.personInputsPercent >= FLOOR_PERSON_FRAMES, `person inputs ${report.personInputsPercent} %`);
  });

  it(`differs on persons mostly by threshold effects (>= ${FLOOR_PERSON_FRAMES_UP_TO_THRESHOLD} % of inputs agree up to boxes just under 0.3)`, () => {
    assert.ok(report.personInputsUpToThresholdPercent >= FLOOR_PERSON_FRAMES_UP_TO_THRESHOLD, `${report.personInputsUpToThresholdPercent} %`);
  });
});
