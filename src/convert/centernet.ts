/**
 * The CenterNet graph's public tensors and how the ONNX model names them.
 * Heads stay NCHW ([1, 80, S/4, S/4] and [1, 4, S/4, S/4]): transposing them
 * back to NHWC would cost two full passes per inference for outputs the
 * agent does not read; `detections` keeps TF's [1, 100, 6].
 */
import type { ConvertOptions } from './convert.js';

export const ONNX_INPUT = 'images';

export const CENTERNET_IO: Pick<ConvertOptions, 'input' | 'outputs'> = {
  input: { tf: 'tower_0/images', onnx: ONNX_INPUT },
  outputs: [
    { tf: 'tower_0/detections', onnx: 'detections', layout: 'TF' },
    { tf: 'tower_0/keypoints', onnx: 'keypoints', layout: 'NCHW' },
    { tf: 'tower_0/wh', onnx: 'wh', layout: 'NCHW' },
  ],
};

/** Detections: rows of [x1, y1, x2, y2, score, class]. */
export const DETECTION_ROWS = 100;
export const DETECTION_FIELDS = 6;
/** The heads are at 1/4 of the input size. */
export const HEAD_STRIDE = 4;

/** COCO class index of 'person' (labels[0]). */
export const PERSON_CLASS = 0;
