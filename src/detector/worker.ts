/**
 * The detector worker thread: verifies and loads the model once, then answers
 * detect requests one at a time. Inference blocks this thread, never the main one.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isAgentError } from '../core/errors.js';
import type { ModelInfo } from './detector.js';
import { loadManifest } from './manifest.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';
import { createOrtRuntime, type OrtRuntime } from './ort-runtime.js';
import { createTfjsRuntime, type TfjsRuntime } from './tfjs-runtime.js';

const port = parentPort;
if (!port) throw new Error('detector worker must run in a worker thread');

function send(msg: FromWorker): void {
  port!.postMessage(msg);
}

function fail(id: number | null, e: unknown): void {
  if (isAgentError(e)) send({ type: 'error', id, code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) });
  else send({ type: 'error', id, code: 'DETECTOR_FAILED', message: (e as Error)?.stack ?? String(e) });
}

type Runtime = TfjsRuntime | OrtRuntime;

async function init(cfg: WorkerInit): Promise<Runtime> {
  const { dir, manifest } = loadManifest(cfg.modelDir);
  const runtime =
    manifest.format === 'onnx'
      ? await createOrtRuntime(dir, manifest, { threads: cfg.threads, minScore: cfg.minScore })
      : await createTfjsRuntime(dir, manifest, cfg.runtime, cfg.minScore);
  const info: ModelInfo = {
    name: manifest.name,
    version: manifest.version,
    format: manifest.format,
    runtime: runtime.name,
    inputWidth: manifest.input.width,
    inputHeight: manifest.input.height,
    labels: manifest.labels,
  };
  send({ type: 'ready', info, note: runtime.note });
  return runtime;
}

async function main(): Promise<void> {
  let runtime: Runtime;
  try {
    runtime = await init(workerData as WorkerInit);
  } catch (e) {
    fail(null, e);
    return;
  }
  // Requests are handled strictly in order: the main side never has more than its queue in flight.
  let chain = Promise.resolve();
  port!.on('message', (msg: ToWorker) => {
    if (msg.type === 'close') {
      port!.close();
      return;
    }
    chain = chain.then(async () => {
      const t0 = performance.now();
      try {
        const detections = await runtime.detect(new Uint8Array(msg.rgb), msg.width, msg.height, msg.regions);
        send({ type: 'result', id: msg.id, detections, ms: performance.now() - t0 });
      } catch (e) {
        fail(msg.id, e);
      }
    });
  });
}

void main();
