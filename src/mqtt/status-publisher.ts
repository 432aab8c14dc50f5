/**
 * Retained camera state and periodic stats.
 *
 * QoS: camera state is retained QoS 1. It changes rarely, and a lost retained
 * update would leave a stale state (say 'running' for a dead camera) on the
 * broker until the next change. Stats are QoS 0: they come every
 * statsIntervalS and the next one supersedes a lost one, so acknowledging
 * them buys nothing. Both are skipped while disconnected (never queued: a
 * backlog of stale states is worse than none); the latest state of every
 * camera is republished on each reconnect.
 */
import type { Logger } from '../core/log.js';
import type { Publisher } from './connection.js';
import { errText } from './errors.js';
import { realTimers, type TimerHandle, type Timers } from './timers.js';
import type { CameraStatus, StatsMessage } from './topics.js';

export interface StatusPublisherOptions {
  readonly connection: Publisher;
  readonly logger: Logger;
  /** Stats interval, seconds (mqtt.statsIntervalS). */
  readonly statsIntervalS: number;
  /** Builds the periodic stats message; none are sent without it. */
  readonly stats?: () => StatsMessage;
  readonly timers?: Timers;
  /** Wall clock for message times; default Date.now. */
  readonly now?: () => number;
}

export class StatusPublisher {
  private readonly opts: StatusPublisherOptions;
  private readonly timers: Timers;
  private readonly log: Logger;
  private readonly cameras = new Map<string, CameraStatus>();
  private timer: TimerHandle | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(opts: StatusPublisherOptions) {
    this.opts = opts;
    this.timers = opts.timers ?? realTimers;
    this.log = opts.logger.child({ component: 'status' });
  }

  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.opts.connection.onConnect(() => this.republish());
    if (this.opts.stats) this.scheduleStats();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Remembers the camera's status and publishes it (retained) when connected. */
  publishCameraState(camera: string, status: CameraStatus): void {
    this.cameras.set(camera, status);
    this.sendCameraState(camera, status);
  }

  /** Publishes one stats message now when connected; otherwise a no-op. */
  publishStats(stats: StatsMessage): void {
    const conn = this.opts.connection;
    if (!conn.connected) return;
    conn.publishMessage(conn.topics.message('stats', stats)).catch((err: unknown) => {
      this.log.debug({ err: errText(err) }, 'stats not published');
    });
  }

  private republish(): void {
    for (const [camera, status] of this.cameras) this.sendCameraState(camera, status);
    if (this.opts.stats) this.publishStats(this.opts.stats());
  }

  private sendCameraState(camera: string, status: CameraStatus): void {
    const conn = this.opts.connection;
    if (!conn.connected) return;
    const at = new Date((this.opts.now ?? Date.now)()).toISOString();
    const msg = conn.topics.message('cameraState', { ...status, camera, at }, camera);
    conn.publishMessage(msg).catch((err: unknown) => {
      // Not retried: the next connect republishes the latest state of every camera.
      this.log.warn({ camera, err: errText(err) }, 'camera state not published');
    });
  }

  private scheduleStats(): void {
    this.timer = this.timers.setTimeout(() => {
      const build = this.opts.stats;
      if (build) {
        try {
          this.publishStats(build());
        } catch (err) {
          this.log.error({ err: errText(err) }, 'building the stats message failed');
        }
      }
      this.scheduleStats();
    }, this.opts.statsIntervalS * 1000);
  }
}
