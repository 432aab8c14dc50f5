/**
 * The cloud side of the agent as one unit for the composition root: the MQTT
 * connection, the retained-state/stats publisher and the outbox forwarder,
 * started in order and stopped in reverse.
 */
import type { Config } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import { MqttConnection, type MqttConnectionOptions } from '../mqtt/connection.js';
import { resolveDeviceId } from '../mqtt/identity.js';
import { StatusPublisher } from '../mqtt/status-publisher.js';
import type { CameraStatus, StatsMessage } from '../mqtt/topics.js';
import { Forwarder, type ForwarderOptions, type OutboxStore } from './forwarder.js';

export interface CloudLinkOptions {
  readonly config: Pick<Config, 'device' | 'mqtt' | 'outbox'>;
  readonly store: OutboxStore;
  readonly logger: Logger;
  /** Default os.hostname(): the device id when device.id is not set. */
  readonly hostname?: string;
  /** Extra connection options (timers, timeouts) for tests. */
  readonly connection?: Partial<Omit<MqttConnectionOptions, 'config' | 'deviceId' | 'logger'>>;
  /** Extra forwarder options (retry delays, stop deadline) for tests. */
  readonly forwarder?: Partial<Omit<ForwarderOptions, 'store' | 'connection' | 'config' | 'snapshots' | 'logger'>>;
  /** Per-camera counters for the stats message. */
  readonly cameraStats?: () => Record<string, Record<string, number>>;
}

export class CloudLink {
  readonly deviceId: string;
  readonly connection: MqttConnection;
  readonly status: StatusPublisher;
  readonly forwarder: Forwarder;
  private readonly opts: CloudLinkOptions;
  private readonly startedAt = Date.now();

  constructor(opts: CloudLinkOptions) {
    this.opts = opts;
    const { config, logger } = opts;
    this.deviceId = resolveDeviceId(config.device, opts.hostname);
    this.connection = new MqttConnection({ ...opts.connection, config: config.mqtt, deviceId: this.deviceId, logger });
    this.status = new StatusPublisher({ connection: this.connection, logger, statsIntervalS: config.mqtt.statsIntervalS, stats: () => this.stats() });
    this.forwarder = new Forwarder({
      ...opts.forwarder,
      store: opts.store,
      connection: this.connection,
      config: config.outbox,
      snapshots: config.mqtt.snapshots,
      logger,
    });
  }

  /** Reads the MQTT files (CONFIG_INVALID when unreadable) and starts connecting; never waits for the broker. */
  async start(): Promise<void> {
    this.status.start();
    this.forwarder.start();
    try {
      await this.connection.start();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** After each saved event. */
  notify(): void {
    this.forwarder.notify();
  }

  publishCameraState(camera: string, status: CameraStatus): void {
    this.status.publishCameraState(camera, status);
  }

  async stop(): Promise<void> {
    await this.forwarder.stop();
    this.status.stop();
    await this.connection.stop();
  }

  stats(): StatsMessage {
    const c = this.connection.state();
    const f = this.forwarder.stats();
    const msg: StatsMessage = {
      device: this.deviceId,
      at: new Date().toISOString(),
      uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
      mqtt: { connected: c.connected, reconnects: c.reconnects, lastError: c.lastError ? `${c.lastError.code}: ${c.lastError.message}` : null },
      outbox: { sent: f.sent, delivered: f.delivered, failed: f.failed, dropped: f.dropped, backlog: f.backlog },
    };
    const cameras = this.opts.cameraStats?.();
    if (cameras) msg.cameras = cameras;
    return msg;
  }
}

/** A CloudLink when mqtt.url is set; null means local only (events stay in the store). */
export function createCloudLink(opts: CloudLinkOptions): CloudLink | null {
  return opts.config.mqtt.url === undefined ? null : new CloudLink(opts);
}
