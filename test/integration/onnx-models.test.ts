/**
 * ONNX models that fleet managers ship, through the real detector worker and
 * onnxruntime: tiny models this test builds, whose outputs are known
 * constants in each output family (YOLO rows with objectness, YOLO columns,
 * SSD boxes/scores/classes), must come out as the expected detections in
 * frame pixels; a corrupt, altered or mismatched ONNX file is refused with a
 * coded error naming the problem.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeModel } from '../../src/convert/onnx-codec.js';
import { floatTensor, int, type OnnxGraph } from '../../src/convert/onnx-ir.js';
import { sha256 } from '../../src/convert/model-folder.js';
import { isAgentError } from '../../src/core/errors.js';
import type { Box, Detection, Frame } from '../../src/core/types.js';
import { WorkerDetector } from '../../src/detector/worker-detector.js';

const SIZE = 64;
const LABELS = ['person', 'car'];
/** The frame is twice the model input: every model-space coordinate doubles. */
const FRAME: Frame = { index: 0, tS: 0, width: 2 * SIZE, height: 2 * SIZE, rgb: new Uint8Array(4 * SIZE * SIZE * 3).fill(90) };
const WHOLE: Box = [0, 0, 2 * SIZE, 2 * SIZE];

interface Output {
  readonly name: string;
  readonly dims: readonly number[];
  readonly values: readonly number[];
}

/**
 * images [1, 3, 64, 64] -> each output = const + 0 * mean(images): the
 * outputs are the given constants, yet computed from the input as a real
 * model's are.
 */
function constantModel(outputs: readonly Output[]): Uint8Array {
  const graph: OnnxGraph = {
    name: 'known-outputs', opset: 17, producer: 'edge-agent test', metadata: {}, valueInfo: [],
    inputs: [{ name: 'images', dtype: 'float32', dims: [1, 3, SIZE, SIZE] }],
    outputs: outputs.map((o) => ({ name: o.name, dtype: 'float32' as const, dims: o.dims })),
    initializers: new Map([['zero', floatTensor([0], [])]]),
    nodes: [
      { name: 'mean', op: 'ReduceMean', domain: '', inputs: ['images'], outputs: ['mean'], attrs: { keepdims: int(0) } },
      { name: 'nothing', op: 'Mul', domain: '', inputs: ['mean', 'zero'], outputs: ['nothing'], attrs: {} },
    ],
  };
  for (const o of outputs) {
    graph.initializers.set(`${o.name}/value`, floatTensor(o.values, o.dims));
    graph.nodes.push({ name: o.name, op: 'Add', domain: '', inputs: [`${o.name}/value`, 'nothing'], outputs: [o.name], attrs: {} });
  }
  return encodeModel(graph);
}

function writeFolder(dir: string, bytes: Uint8Array, output: Record<string, unknown>, sha = sha256(bytes)): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.onnx'), bytes);
  const manifest = {
    schema: 1, name: 'test-model', version: '1', format: 'onnx', graph: 'model.onnx', files: { 'model.onnx': sha },
    input: { name: 'images', width: SIZE, height: SIZE, layout: 'NCHW', dtype: 'float32', channels: 'RGB', scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] },
    output, labels: LABELS, provenance: { made_by: 'test/integration/onnx-models.test.ts' }, license: 'MIT',
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

async function detectWith(dir: string): Promise<Detection[]> {
  const { detector } = await WorkerDetector.start({ modelDir: dir, runtime: 'auto', minScore: 0.3 });
  try {
    const [found] = await detector.detect(FRAME, [WHOLE]);
    return [...found!].sort((a, b) => b.score - a.score);
  } finally {
    await detector.close();
  }
}

function assertDetection(d: Detection | undefined, label: string, score: number, box: Box): void {
  assert.ok(d, `expected a ${label}`);
  assert.equal(d.label, label);
  assert.ok(Math.abs(d.score - score) < 1e-5, `score ${d.score}, expected ${score}`);
  d.box.forEach((v, i) => assert.ok(Math.abs(v - box[i]!) < 1e-3, `box ${d.box}, expected ${box}`));
}

async function startError(dir: string): Promise<{ code: string; message: string }> {
  try {
    const { detector } = await WorkerDetector.start({ modelDir: dir, runtime: 'auto', minScore: 0.3 });
    await detector.close();
  } catch (e) {
    assert.ok(isAgentError(e), `expected a coded error, got ${String(e)}`);
    return { code: e.code, message: e.message };
  }
  return assert.fail('the model was accepted');
}

describe('ONNX output decoders on models with known outputs', () => {
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'onnx-models-'));
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('YOLO rows [1, N, 4+1+C] with objectness: score = objectness x class, per-class NMS, boxes in frame pixels', async () => {
    // cx, cy, w, h, objectness, person, car (input pixels)
    const rows = [
      [32, 32, 16, 32, 0.9, 0.9, 0.1], // person 0.81 at [24,16,40,48]
      [33, 32, 16, 32, 0.8, 0.9, 0.1], // the same person again, 0.72: suppressed by NMS
      [10, 50, 12, 8, 0.9, 0.05, 0.5], // car 0.45 at [4,46,16,54]
      [50, 10, 8, 8, 0.5, 0.5, 0.1], // person 0.25: under minScore
    ];
    const dir = writeFolder(join(tmp, 'yolo-rows'), constantModel([{ name: 'output0', dims: [1, 4, 7], values: rows.flat() }]), {
      decoder: 'yolo', tensor: 'output0', objectness: true, coordinates: 'input-pixels',
    });
    const found = await detectWith(dir);
    assert.equal(found.length, 2, JSON.stringify(found));
    assertDetection(found[0], 'person', 0.81, [48, 32, 80, 96]);
    assertDetection(found[1], 'car', 0.45, [8, 92, 32, 108]);
  });

  it('YOLO columns [1, 4+C, N] without objectness (YOLOv8 layout)', async () => {
    const candidates = [
      [20, 20, 10, 20, 0.2, 0.7], // car 0.7 at [15,10,25,30]
      [44, 40, 12, 24, 0.6, 0.1], // person 0.6 at [38,28,50,52]
      [44, 40, 12, 24, 0.1, 0.2], // nothing over 0.3
    ];
    const columns = Array.from({ length: 6 }, (_, j) => candidates.map((c) => c[j]!)).flat();
    const dir = writeFolder(join(tmp, 'yolo-columns'), constantModel([{ name: 'output0', dims: [1, 6, 3], values: columns }]), {
      decoder: 'yolo', tensor: 'output0', coordinates: 'input-pixels',
    });
    const found = await detectWith(dir);
    assert.equal(found.length, 2, JSON.stringify(found));
    assertDetection(found[0], 'car', 0.7, [30, 20, 50, 60]);
    assertDetection(found[1], 'person', 0.6, [76, 56, 100, 104]);
  });

  it('SSD boxes (y1, x1, y2, x2, normalized) + scores + classes with a background class', async () => {
    const dir = writeFolder(join(tmp, 'ssd'), constantModel([
      { name: 'boxes', dims: [1, 3, 4], values: [0.25, 0.5, 0.75, 0.625, 0, 0, 0.5, 0.5, 0.1, 0.1, 0.2, 0.2] },
      { name: 'scores', dims: [1, 3], values: [0.95, 0.5, 0.2] },
      { name: 'classes', dims: [1, 3], values: [1, 2, 1] },
    ]), { decoder: 'ssd', tensor: 'boxes', scores: 'scores', classes: 'classes', classOffset: -1, coordinates: 'normalized' });
    const found = await detectWith(dir);
    assert.equal(found.length, 2, JSON.stringify(found));
    assertDetection(found[0], 'person', 0.95, [64, 32, 80, 96]);
    assertDetection(found[1], 'car', 0.5, [0, 0, 64, 64]);
  });
});

describe('ONNX model files that must be refused', () => {
  let tmp: string;
  const good = (): Uint8Array => constantModel([{ name: 'output0', dims: [1, 1, 6], values: [1, 1, 10, 10, 0.9, 0] }]);
  const output = { decoder: 'yolo', tensor: 'output0', coordinates: 'input-pixels' } as const;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'onnx-refused-'));
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('a file changed after its manifest was written: MODEL_CHECKSUM_MISMATCH naming the file', async () => {
    const dir = writeFolder(join(tmp, 'altered'), good(), output);
    const altered = good();
    altered[altered.length - 1] = altered.at(-1)! ^ 0xff;
    writeFileSync(join(dir, 'model.onnx'), altered);
    const e = await startError(dir);
    assert.equal(e.code, 'MODEL_CHECKSUM_MISMATCH');
    assert.match(e.message, /model\.onnx/);
  });

  it('bytes that are not an ONNX model, with a matching checksum: MODEL_LOAD_FAILED from onnxruntime', async () => {
    const junk = new TextEncoder().encode('this is not a protobuf model '.repeat(20));
    const e = await startError(writeFolder(join(tmp, 'junk'), junk, output));
    assert.equal(e.code, 'MODEL_LOAD_FAILED');
    assert.match(e.message, /test-model .*refused by onnxruntime/);
  });

  it('a truncated ONNX file with a matching checksum: MODEL_LOAD_FAILED', async () => {
    const whole = good();
    const e = await startError(writeFolder(join(tmp, 'truncated'), whole.subarray(0, Math.floor(whole.length / 2)), output));
    assert.equal(e.code, 'MODEL_LOAD_FAILED');
  });

  it('a manifest naming an output the graph does not have: MODEL_MANIFEST_INVALID naming both', async () => {
    const e = await startError(writeFolder(join(tmp, 'mismatched'), good(), { ...output, tensor: 'detections' }));
    assert.equal(e.code, 'MODEL_MANIFEST_INVALID');
    assert.match(e.message, /output "detections" \(has output0\)/);
  });

  it('a manifest naming an input the graph does not have: MODEL_MANIFEST_INVALID', async () => {
    const dir = writeFolder(join(tmp, 'wrong-input'), good(), output);
    const manifest = join(dir, 'manifest.json');
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { input: { name: string } };
    m.input.name = 'input_1';
    writeFileSync(manifest, JSON.stringify(m));
    const e = await startError(dir);
    assert.equal(e.code, 'MODEL_MANIFEST_INVALID');
    assert.match(e.message, /input "input_1" \(has images\)/);
  });
});
