/**
 * Main-thread handle on a detector worker. One request in flight at a time per
 * caller is the expected use; requests beyond `maxPending` are refused rather
 * than buffered without bound. A worker that dies fails every pending request
 * with DETECTOR_FAILED; the owner decides whether to start a new one.
 */
import { Worker } from 'node:worker_threads';
import { AgentError } from '../core/errors.js';
import type { Box, Detection, Frame } from '../core/types.js';
import type { Detector, DetectorStats, ModelInfo } from './detector.js';
import type { FromWorker, WorkerInit } from './protocol.js';

export interface WorkerDetectorOptions extends Omit<WorkerInit, 'threads'> {
  /** onnxruntime intra-op threads; default 1. */
  readonly threads?: number;
  /** Requests allowed in flight before detect() rejects; default 4. */
  readonly maxPending?: number;
  /** How long model loading may take, ms; default 120 000 (wasm compile on a Pi is slow). */
  readonly startTimeoutMs?: number;
}

interface Pending {
  resolve(d: Detection[][]): void;
  reject(e: Error): void;
}

export class WorkerDetector implements Detector {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private inferences = 0;
  private busyMs = 0;
  private closed = false;

  private constructor(
    private readonly worker: Worker,
    readonly info: ModelInfo,
    private readonly maxPending: number,
  ) {
    worker.on('message', (msg: FromWorker) => this.onMessage(msg));
    worker.on('error', (e) => this.failAll(new AgentError('DETECTOR_FAILED', `detector worker crashed: ${e.message}`)));
    worker.on('exit', (code) => this.failAll(new AgentError('DETECTOR_FAILED', `detector worker exited with code ${code}`)));
  }

  /** Starts a worker and resolves once its model is verified, loaded and warmed up. */
  static async start(opts: WorkerDetectorOptions): Promise<{ detector: WorkerDetector; note: string }> {
    const init: WorkerInit = { modelDir: opts.modelDir, runtime: opts.runtime, minScore: opts.minScore, threads: opts.threads ?? 1 };
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
    const ready = await waitReady(worker, opts.startTimeoutMs ?? 120_000);
    return { detector: new WorkerDetector(worker, ready.info, opts.maxPending ?? 4), note: ready.note };
  }

  detect(frame: Frame, regions: readonly Box[]): Promise<Detection[][]> {
    if (this.closed) return Promise.reject(new AgentError('DETECTOR_FAILED', 'detector is closed'));
    if (regions.length === 0) return Promise.resolve([]);
    if (this.pending.size >= this.maxPending) {
      return Promise.reject(new AgentError('DETECTOR_FAILED', `detector has ${this.pending.size} requests in flight (limit ${this.maxPending})`));
    }
    const id = this.nextId++;
    // A private copy (not .slice(): on a Buffer that is a view), transferred: the caller may reuse its buffer.
    const rgb = new Uint8Array(frame.rgb).buffer;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'detect', id, width: frame.width, height: frame.height, rgb, regions }, [rgb]);
    });
  }

  stats(): DetectorStats {
    return { inferences: this.inferences, busyMs: this.busyMs };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new AgentError('DETECTOR_FAILED', 'detector closed'));
    await this.worker.terminate();
  }

  private onMessage(msg: FromWorker): void {
    if (msg.type === 'ready') return;
    const p = msg.id === null ? undefined : this.pending.get(msg.id);
    if (!p || msg.id === null) return;
    this.pending.delete(msg.id);
    if (msg.type === 'result') {
      this.inferences += msg.detections.length;
      this.busyMs += msg.ms;
      p.resolve(msg.detections);
    } else {
      p.reject(new AgentError(msg.code, msg.message, msg.hint ? { hint: msg.hint } : {}));
    }
  }

  private failAll(e: AgentError): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}

function waitReady(worker: Worker, timeoutMs: number): Promise<{ info: ModelInfo; note: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new AgentError('MODEL_LOAD_FAILED', `detector did not load its model within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
    };
    const onMessage = (msg: FromWorker): void => {
      if (msg.type === 'ready') {
        done();
        resolve({ info: msg.info, note: msg.note });
      } else if (msg.type === 'error' && msg.id === null) {
        done();
        void worker.terminate();
        reject(new AgentError(msg.code, msg.message, msg.hint ? { hint: msg.hint } : {}));
      }
    };
    const onError = (e: Error): void => {
      done();
      reject(new AgentError('MODEL_LOAD_FAILED', `detector worker failed to start: ${e.message}`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
  });
}
