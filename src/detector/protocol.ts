/** Messages between the main thread and the detector worker. */
import type { Box, Detection } from '../core/types.js';
import type { ErrorCode } from '../core/errors.js';
import type { ModelInfo } from './detector.js';

export interface WorkerInit {
  readonly modelDir: string;
  readonly runtime: 'auto' | 'tfjs-node' | 'tfjs-wasm';
  readonly minScore: number;
  /** onnxruntime intra-op threads. */
  readonly threads: number;
}

export interface DetectRequest {
  readonly type: 'detect';
  readonly id: number;
  readonly width: number;
  readonly height: number;
  /** Transferred: a private copy of the frame's RGB24 bytes. */
  readonly rgb: ArrayBuffer;
  readonly regions: readonly Box[];
}

export type ToWorker = DetectRequest | { readonly type: 'close' };

export type FromWorker =
  | { readonly type: 'ready'; readonly info: ModelInfo; readonly note: string }
  | { readonly type: 'result'; readonly id: number; readonly detections: Detection[][]; readonly ms: number }
  | { readonly type: 'error'; readonly id: number | null; readonly code: ErrorCode; readonly message: string; readonly hint?: string };
