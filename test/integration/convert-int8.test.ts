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
import { CHECK_SET, EVAL_SET, FOOTAGE } from '../../src/convert/frame-sets.js';
import { decodeModel } from '../../src/convert/onnx-codec.js';
import { openSession } from '../../src/convert/ort-session.js';

const FP32 = join(process.cwd(), 'models/centernet-coco-onnx');
const INT8 = join(process.cwd(), 'models/centernet-coco-int8');

/**
 * The issue's bar: the int8 model's person detections agree with fp32's on at
 * least 95 %, read two ways, on two held-out sets: persons matched one-to-one
 * (IoU >= 0.5, score >= 0.3) of all persons either model found, and inputs
 * whose persons all agree up to threshold effects (a partner just under 0.3).
 * Measured at commit: EVAL_SET 96.3 % and 98.8 %, CHECK_SET 96.2 % and 100 %.
 */
const MIN_PERSONS_MATCHED = 95;
const MIN_INPUTS_UP_TO_THRESHOLD = 95;
/**
 * Inputs whose persons agree exactly, threshold flips included. Not reachable
 * at 95 % by fp32 itself: against its own output after an invisible JPEG q95
 * round trip of each input it agrees on 71.3 % of EVAL_SET (bench:detector
 * prints that noise floor). The int8 model must stay above it (measured
 * 80.0 % and 82.5 %).
 */
const MIN_INPUTS_EXACT = 72;

function graphFile(dir: string): string {
  const { dir: d, manifest } = loadManifest(dir);
  return join(d, manifest.graph);
}

describe('int8 ONNX model', () => {
  const reports: Record<string, EvalReport> = {};

  before(async () => {
    assert.ok(existsSync(FOOTAGE), `${FOOTAGE} missing: run bash scripts/fetch-footage.sh`);
    const size = loadManifest(INT8).manifest.input.width;
    for (const [name, set] of Object.entries({ EVAL_SET, CHECK_SET })) reports[name] = await compareModels(graphFile(FP32), graphFile(INT8), await buildInputs(set, size));
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

  for (const name of ['EVAL_SET', 'CHECK_SET']) {
    it(`${name}: person detections agree with fp32 (>= ${MIN_PERSONS_MATCHED} % matched, >= ${MIN_INPUTS_UP_TO_THRESHOLD} % of inputs up to threshold effects)`, () => {
      const r = reports[name]!;
      assert.ok(r.inputs >= 80, `${r.inputs} inputs`);
      assert.ok(r.persons.a > 400, `${r.persons.a} persons: the held-out inputs should hold plenty`);
      assert.ok(r.persons.percent >= MIN_PERSONS_MATCHED, `persons matched ${r.persons.percent.toFixed(1)} %`);
      assert.ok(r.personInputsUpToThresholdPercent >= MIN_INPUTS_UP_TO_THRESHOLD, `inputs up to threshold ${r.personInputsUpToThresholdPercent.toFixed(1)} %`);
    });

    it(`${name}: persons agree exactly on >= ${MIN_INPUTS_EXACT} % of inputs (fp32 against itself after JPEG q95: 71.3 %, per bench:detector)`, () => {
      assert.ok(reports[name]!.personInputsPercent >= MIN_INPUTS_EXACT, `${reports[name]!.personInputsPercent.toFixed(1)} %`);
    });
  }
});
