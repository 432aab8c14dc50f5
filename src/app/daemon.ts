/**
 * Composition root of `edge-agent run`, the gateway daemon: event store →
 * detector worker (shared by all cameras) → cloud link (MQTT + outbox, when
 * configured) → one supervisor + pipeline per camera. Built in that order,
 * stopped in reverse within a deadline; restart policy is systemd's.
 */
import { resolve } from 'node:path';
import type { CameraConfig, Config } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import { CameraSupervisor } from '../camera/supervisor.js';
import type { CameraStatus } from '../camera/status.js';
import { SharedDetector } from '../detector/shared-detector.js';
import { WorkerDetector } from '../detector/worker-detector.js';
import type { AgentEvent } from '../events/event.js';
import { recordEvent } from '../events/record.js';
import { EventStore } from '../events/store.js';
import { createCloudLink, type CloudLink } from '../outbox/cloud-link.js';
import { CameraPipeline, type ConfirmedTrack } from '../pipeline/camera-pipeline.js';
import { toCloudStatus } from './camera-status.js';

export interface DaemonOptions {
  readonly config: Config;
  /** Project root, against which relative model and storage paths resolve. */
  readonly root: string;
  readonly logger: Logger;
  /** Called with each stored event (the demo prints them). */
  readonly onEvent?: (e: AgentEvent) => void;
  /** Wall-clock ms; injectable for tests. */
  readonly now?: () => number;
}

interface CameraRun {
  readonly camera: CameraConfig;
  readonly supervisor: CameraSupervisor;
  pipeline: CameraPipeline | null;
  loop: Promise<void>;
  lastProcessedMs: number;
  analysed: number;
}

/** How often retained camera state is refreshed and a summary logged, ms. */
const STATUS_EVERY_MS = 5000;
const SUMMARY_EVERY_MS = 60_000;

export class Daemon {
  private store: EventStore | null = null;
  private worker: WorkerDetector | null = null;
  private detector: SharedDetector | null = null;
  private cloud: CloudLink | null = null;
  private readonly runs: CameraRun[] = [];
  private timers: NodeJS.Timeout[] = [];
  private readonly now: () => number;

  constructor(private readonly opts: DaemonOptions) {
    this.now = opts.now ?? Date.now;
  }

  get deviceId(): string | null {
    return this.cloud?.deviceId ?? null;
  }

  async start(): Promise<void> {
    const { config, root, logger } = this.opts;
    this.store = new EventStore({ dbPath: resolve(root, config.storage.db), snapshotDir: resolve(root, config.storage.snapshots) });
    this.store.open();
    const d = config.detector;
    const started = await WorkerDetector.start({ modelDir: resolve(root, d.model), runtime: d.runtime, minScore: d.minScore, threads: d.threads });
    this.worker = started.detector;
    this.detector = new SharedDetector(this.worker, { perCamera: 1 });
    const info = this.worker.info;
    logger.info({ model: info.name, version: info.version, runtime: info.runtime, note: started.note }, 'detector ready');
    this.cloud = createCloudLink({ config, store: this.store, logger, cameraStats: () => this.cameraStats() });
    await this.cloud?.start();
    if (!this.cloud) logger.warn('mqtt.url is not set: events stay on this gateway (local only)');
    for (const camera of config.cameras) this.runs.push(this.startCamera(camera));
    this.timers.push(setInterval(() => this.publishStatus(), STATUS_EVERY_MS), setInterval(() => this.logSummary(), SUMMARY_EVERY_MS));
    for (const t of this.timers) t.unref();
  }

  /** True while every streaming camera's pipeline keeps up (the systemd watchdog asks). */
  healthy(): boolean {
    const now = this.now();
    return this.runs.every((r) => r.supervisor.status().state !== 'streaming' || now - r.lastProcessedMs < 120_000);
  }

  status(): { cameras: CameraStatus[]; analysed: Record<string, number> } {
    return {
      cameras: this.runs.map((r) => r.supervisor.status()),
      analysed: Object.fromEntries(this.runs.map((r) => [r.camera.name, r.analysed])),
    };
  }

  /** Stops cameras (flushing their open tracks into events), then the cloud link, detector and store. */
  async stop(deadlineMs = 20_000): Promise<void> {
    const deadline = this.now() + deadlineMs;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.allSettled(this.runs.map((r) => r.supervisor.stop()));
    await withDeadline(Promise.allSettled(this.runs.map((r) => r.loop)), deadline - this.now());
    this.publishStatus();
    await this.cloud?.stop();
    await this.worker?.close();
    this.store?.close();
  }

  private startCamera(camera: CameraConfig): CameraRun {
    const log = this.opts.logger.child({ camera: camera.name });
    // The supervisor adds the camera name to its own lines.
    const supervisor = new CameraSupervisor({ camera, supervisor: this.opts.config.supervisor, logger: this.opts.logger });
    const run: CameraRun = { camera, supervisor, pipeline: null, loop: Promise.resolve(), lastProcessedMs: this.now(), analysed: 0 };
    run.loop = this.cameraLoop(run).catch((e: unknown) => {
      // A programmer error in one camera's pipeline: crash loudly, systemd restarts us.
      log.fatal({ err: e }, 'camera pipeline failed');
      process.exitCode = 70;
      setImmediate(() => {
        throw e;
      });
    });
    return run;
  }

  private async cameraLoop(run: CameraRun): Promise<void> {
    const baseMs = this.now();
    for await (const frame of run.supervisor.frames()) {
      run.pipeline ??= new CameraPipeline(run.camera, this.opts.config, this.detector!.forCamera(run.camera.name), frame, (t) =>
        this.save(t, baseMs),
      );
      await run.pipeline.process(frame);
      run.analysed++;
      run.lastProcessedMs = this.now();
    }
    await run.pipeline?.finish();
  }

  private async save(t: ConfirmedTrack, baseMs: number): Promise<void> {
    const event = await recordEvent(this.store!, t, this.worker!.info.version, baseMs);
    this.cloud?.notify();
    this.opts.logger.info({ event: event.id, camera: event.camera, label: event.label, score: Number(event.score.toFixed(2)) }, 'event');
    this.opts.onEvent?.(event);
  }

  private publishStatus(): void {
    if (!this.cloud) return;
    for (const r of this.runs) this.cloud.publishCameraState(r.camera.name, toCloudStatus(r.supervisor.status()));
  }

  private cameraStats(): Record<string, Record<string, number>> {
    const shed = this.detector?.stats().cameras ?? {};
    return Object.fromEntries(
      this.runs.map((r) => {
        const s = r.supervisor.status();
        const p = r.pipeline?.stats();
        return [r.camera.name, { fpsIn: s.fpsIn, framesIn: s.framesIn, framesDropped: s.framesDropped, analysed: r.analysed, reconnects: s.reconnects, stalls: s.stalls, detectorShed: shed[r.camera.name]?.shed ?? 0, events: p?.events ?? 0 }];
      }),
    );
  }

  private logSummary(): void {
    this.opts.logger.info({ cameras: this.cameraStats(), outbox: this.cloud?.stats().outbox ?? null }, 'summary');
  }
}

async function withDeadline(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((r) => (timer = setTimeout(r, Math.max(0, ms))))]);
  clearTimeout(timer);
}
