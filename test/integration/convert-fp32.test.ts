/**
 * The committed fp32 ONNX model (models/centernet-coco-onnx) against the
 * TFJS original on real walkway frames and crops, the converter's
 * determinism, and the folder's manifest as the agent reads it.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadManifest } from '../../src/detector/manifest.js';
import { convertSource } from '../../src/convert/convert-model.js';
import { FOOTAGE, VERIFY_SET } from '../../src/convert/frame-sets.js';
import { sha256 } from '../../src/convert/model-folder.js';
import { verifyAgainstTfjs, type VerifyReport } from '../../src/convert/verify.js';

const SOURCE = join(process.cwd(), 'models/centernet-coco');
const MODEL = join(process.cwd(), 'models/centernet-coco-onnx');

/** Tolerances: float32 reassociation only (measured 1.9e-6 and 5.7e-3 px). */
const KEYPOINTS_MAX_ABS = 1e-4;
const WH_MAX_ABS_PX = 0.05;
const MIN_DETECTION_AGREEMENT = 99;

describe('fp32 ONNX model', () => {
  let report: VerifyReport;

  before(async () => {
    assert.ok(existsSync(FOOTAGE), `${FOOTAGE} missing: run bash scripts/fetch-footage.sh`);
    const { dir, manifest } = loadManifest(MODEL);
    report = await verifyAgainstTfjs({ sourceDir: SOURCE, sourceGraph: 'centernet.json', onnx: join(dir, manifest.graph), size: manifest.input.width, classes: manifest.labels.length, set: VERIFY_SET });
  });

  it('has a manifest the agent accepts, describing an NCHW RGB 0..255 input and the xyxy decoder', () => {
    const { manifest } = loadManifest(MODEL);
    assert.equal(manifest.format, 'onnx');
    assert.deepEqual([manifest.input.name, manifest.input.layout, manifest.input.width, manifest.input.height], ['images', 'NCHW', 512, 512]);
    assert.deepEqual(manifest.output, { decoder: 'detections-xyxy-score-class', tensor: 'detections', coordinates: 'input-pixels' });
    assert.deepEqual(manifest.labels, loadManifest(SOURCE).manifest.labels);
    assert.ok(existsSync(join(MODEL, 'LICENSE')));
  });

  it('is what the converter produces from the source model today (deterministic)', () => {
    const { manifest } = loadManifest(MODEL);
    const source = loadManifest(SOURCE);
    const { bytes } = convertSource(source.dir, source.manifest, manifest.input.width, Number(manifest.provenance.opset));
    assert.equal(sha256(bytes), sha256(readFileSync(join(MODEL, manifest.graph))));
  });

  it(`keeps the raw heads within float32 noise of TFJS (keypoints <= ${KEYPOINTS_MAX_ABS}, wh <= ${WH_MAX_ABS_PX} px)`, () => {
    assert.ok(report.inputs >= 16, `${report.inputs} inputs`);
    assert.ok(report.keypointsMaxAbs <= KEYPOINTS_MAX_ABS, `keypoints max |diff| ${report.keypointsMaxAbs}`);
    assert.ok(report.whMaxAbs <= WH_MAX_ABS_PX, `wh max |diff| ${report.whMaxAbs}`);
  });

  it(`finds the same detections as TFJS (>= ${MIN_DETECTION_AGREEMENT} %, persons too)`, () => {
    assert.ok(report.detections.matched > 50, 'the frames should hold plenty of detections');
    assert.ok(report.detections.percent >= MIN_DETECTION_AGREEMENT, `detections ${report.detections.percent} %`);
    assert.ok(report.persons.percent >= MIN_DETECTION_AGREEMENT, `persons ${report.persons.percent} %`);
  });

  it('decodes its own heads exactly as an independent JavaScript decode does', () => {
    assert.equal(report.tail.percent, 100);
  });
});
