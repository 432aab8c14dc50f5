/**
 * The agent's one connection to the cloud broker (mqtt.js 5 underneath).
 *
 * mqtt.js's own reconnect is off; every attempt is a fresh client, spaced by
 * capped exponential backoff with jitter, so a broker restart is survived
 * (Frigate users' top MQTT complaint is a client that never comes back) and
 * a gateway fleet does not stampede the broker when it returns. Publishes
 * resolve on PUBACK only; anything unacknowledged when the connection drops
 * is rejected, and the outbox (the event store) sends it again.
 */
import mqtt, { type IClientOptions, type IConnackPacket, type IDisconnectPacket, type MqttClient } from 'mqtt';
import type { MqttConfig } from '../config/schema.js';
import { AgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { Backoff } from './backoff.js';
import { DEFAULT_SESSION_EXPIRY_S, clientSettings, type ClientSettings } from './client-options.js';
import { MqttError, connectionError, errText, publishError, reasonHint, reasonText, type ConnectionError } from './errors.js';
import { resolveClientId } from './identity.js';
import { realTimers, type TimerHandle, type Timers } from './timers.js';
import { Topics, type OutgoingMessage } from './topics.js';

export interface MqttConnectionOptions {
  /** The `mqtt` config section; `url` must be set. */
  readonly config: MqttConfig;
  readonly deviceId: string;
  readonly logger: Logger;
  readonly timers?: Timers;
  /** Uniform in [0, 1) for the backoff jitter; default Math.random. */
  readonly random?: () => number;
  /** CONNACK deadline per attempt, ms. Default 30 000. */
  readonly connectTimeoutMs?: number;
  /** PUBACK deadline per publish, ms. Default 30 000 (keepalive finds a dead link anyway). */
  readonly publishTimeoutMs?: number;
  /** MQTT 5 session expiry, s. Default 7 days. */
  readonly sessionExpiryS?: number;
  /** A connection that stayed up this long starts the next backoff from reconnectInitialS, ms. Default 30 000. */
  readonly stableAfterMs?: number;
  /** Creates the mqtt.js client of one attempt; default mqtt.connect (tests pass a fake). */
  readonly connect?: (url: string, options: IClientOptions) => MqttClient;
}

export type { ConnectionError } from './errors.js';

export interface ConnectionState {
  readonly connected: boolean;
  /** ISO time of the first failure since the last connect; null while connected (and before the first failure). */
  readonly disconnectedSince: string | null;
  /** Why the last attempt or connection failed; null once connected again. */
  readonly lastError: ConnectionError | null;
  /** Connection attempts made. */
  readonly attempts: number;
  /** Successful connections (CONNACK accepted). */
  readonly connects: number;
  /** Successful connections after the first. */
  readonly reconnects: number;
  /** Consecutive failures the current backoff is at. */
  readonly failures: number;
  /** Delay of the pending retry, ms; null when none is scheduled. */
  readonly nextRetryMs: number | null;
  /** The last RECENT_DELAYS retry delays, ms, oldest first. */
  readonly recentDelaysMs: readonly number[];
}

export interface PublishOptions {
  readonly qos: 0 | 1;
  readonly retain?: boolean;
}

/** What the outbox and status publisher need from a connection. */
export interface Publisher {
  readonly connected: boolean;
  readonly topics: Topics;
  /**
   * QoS 1 publishes the broker accepts unacknowledged at once (MQTT 5 CONNACK
   * Receive Maximum; 65 535 when it sets none, and for MQTT 3.1.1). mqtt.js
   * does not enforce it, so senders must stay below it.
   */
  readonly receiveMaximum: number;
  publish(topic: string, payload: string | Buffer, opts: PublishOptions): Promise<void>;
  publishMessage(msg: OutgoingMessage): Promise<void>;
  /** Called after every accepted CONNACK; returns the unsubscribe function. */
  onConnect(listener: () => void): () => void;
}

const RECENT_DELAYS = 20;
/** The protocol's largest Receive Maximum, and its default when the broker sends none. */
const MAX_RECEIVE_MAXIMUM = 65_535;
/** How long stop() waits for the 'offline' PUBACK and a clean DISCONNECT, ms. */
const STOP_DEADLINE_MS = 2000;

interface Counters {
  attempts: number;
  connects: number;
  nextRetryMs: number | null;
  delays: number[];
  lastError: ConnectionError | null;
}

interface Pending {
  reject: (err: Error) => void;
  timer: TimerHandle;
}

export class MqttConnection implements Publisher {
  readonly topics: Topics;
  private readonly opts: MqttConnectionOptions;
  private readonly timers: Timers;
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private readonly listeners = new Set<() => void>();
  private readonly pending = new Set<Pending>();
  private settings: ClientSettings | undefined;
  private client: MqttClient | undefined;
  private isConnected = false;
  private connectedAt = 0;
  private serverReceiveMaximum = MAX_RECEIVE_MAXIMUM;
  private stopping = false;
  private retryTimer: TimerHandle | undefined;
  private attemptError: ConnectionError | null = null;
  private lastLogged = '';
  /** Wall-clock ms of the first failure since the last connect. */
  private downSince: number | undefined;
  private readonly stats: Counters = { attempts: 0, connects: 0, nextRetryMs: null, delays: [], lastError: null };

  constructor(opts: MqttConnectionOptions) {
    this.opts = opts;
    this.timers = opts.timers ?? realTimers;
    this.log = opts.logger.child({ component: 'mqtt' });
    this.topics = new Topics(opts.config.topicPrefix, opts.deviceId);
    const { reconnectInitialS, reconnectMaxS, reconnectJitter } = opts.config;
    this.backoff = new Backoff({
      initialMs: reconnectInitialS * 1000,
      maxMs: Math.max(reconnectMaxS, reconnectInitialS) * 1000,
      jitter: reconnectJitter,
      ...(opts.random ? { random: opts.random } : {}),
    });
  }

  get connected(): boolean {
    return this.isConnected;
  }

  get receiveMaximum(): number {
    return this.serverReceiveMaximum;
  }

  state(): ConnectionState {
    const { attempts, connects, nextRetryMs, delays, lastError } = this.stats;
    return {
      connected: this.isConnected,
      disconnectedSince: this.downSince === undefined ? null : new Date(this.downSince).toISOString(),
      lastError,
      attempts,
      connects,
      reconnects: Math.max(0, connects - 1),
      failures: this.backoff.attempt,
      nextRetryMs,
      recentDelaysMs: [...delays],
    };
  }

  /**
   * Reads the TLS and password files (AgentError CONFIG_INVALID naming an
   * unreadable one) and makes the first attempt. Does not wait for the broker:
   * the agent runs, and keeps its events, while the broker is away.
   */
  async start(): Promise<void> {
    if (this.settings) return;
    const { config } = this.opts;
    const clientId = resolveClientId(config, this.opts.deviceId);
    this.settings = await clientSettings({
      config,
      clientId,
      willTopic: this.topics.availability(),
      connectTimeoutMs: this.opts.connectTimeoutMs ?? 30_000,
      sessionExpiryS: this.opts.sessionExpiryS ?? DEFAULT_SESSION_EXPIRY_S,
    });
    this.log.info({ url: this.settings.safeUrl, clientId, protocolVersion: config.protocolVersion }, 'connecting to the MQTT broker');
    try {
      this.attempt();
    } catch (err) {
      // mqtt.js refuses some options synchronously: that is a config error, shown at start.
      throw new AgentError('CONFIG_INVALID', `cannot connect to ${this.settings.safeUrl}: ${errText(err)}`, {
        hint: 'check mqtt.url and the TLS files',
        cause: err,
      });
    }
  }

  /** Publishes 'offline' (retained), disconnects cleanly, and stops retrying. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.clearRetry();
    const client = this.client;
    if (!client) return;
    if (this.isConnected) {
      const offline = this.topics.message('availability', 'offline');
      await deadline(this.publishMessage(offline), STOP_DEADLINE_MS).catch(() => undefined);
      await deadline(new Promise<void>((resolve) => client.end(false, {}, () => resolve())), STOP_DEADLINE_MS).catch(() => {
        client.end(true);
      });
    }
    this.dropClient(client);
    this.log.info('disconnected from the MQTT broker');
  }

  onConnect(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publishMessage(msg: OutgoingMessage): Promise<void> {
    return this.publish(msg.topic, msg.payload, { qos: msg.qos, retain: msg.retain });
  }

  /**
   * Resolves when the broker acknowledged (PUBACK for QoS 1; written for QoS 0).
   * Rejects with MqttError PUBLISH_REJECTED (MQTT 5 reason >= 0x80, reasonCode
   * set) or PUBLISH_FAILED (not connected, connection lost, no PUBACK in time).
   */
  publish(topic: string, payload: string | Buffer, opts: PublishOptions): Promise<void> {
    const client = this.client;
    if (!client || !this.isConnected) return Promise.reject(new MqttError('PUBLISH_FAILED', 'not connected to the broker'));
    const timeoutMs = this.opts.publishTimeoutMs ?? 30_000;
    return new Promise<void>((resolve, reject) => {
      const entry: Pending = {
        reject,
        timer: this.timers.setTimeout(() => {
          this.pending.delete(entry);
          reject(new MqttError('PUBLISH_FAILED', `no PUBACK for ${topic} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.pending.add(entry);
      client.publish(topic, payload, { qos: opts.qos, retain: opts.retain ?? false }, (err) => {
        if (!this.pending.delete(entry)) return; // already timed out or rejected by a disconnect
        this.timers.clearTimeout(entry.timer);
        if (err) reject(publishError(topic, err));
        else resolve();
      });
    });
  }

  private attempt(): void {
    const settings = this.settings;
    if (this.stopping || !settings) return;
    this.retryTimer = undefined;
    this.stats.nextRetryMs = null;
    this.stats.attempts++;
    this.attemptError = null;
    const client = (this.opts.connect ?? mqtt.connect)(settings.url, settings.options);
    this.client = client;
    client.on('connect', (connack: IConnackPacket) => this.onConnected(client, connack));
    // Always listened for: an 'error' event without a listener would crash the agent.
    client.on('error', (err: Error) => this.onClientError(client, err));
    client.on('disconnect', (packet: IDisconnectPacket) => this.onServerDisconnect(client, packet));
    client.on('close', () => this.onClosed(client));
  }

  /** A timer's attempt: a synchronous refusal (it passed at start) is one more failure, not a crash. */
  private retry(): void {
    try {
      this.attempt();
    } catch (err) {
      const error = connectionError(err instanceof Error ? err : new Error(String(err)));
      this.stats.lastError = error;
      this.scheduleRetry(error, false);
    }
  }

  private onConnected(client: MqttClient, connack: IConnackPacket): void {
    if (client !== this.client || this.stopping) return;
    const downForS = this.downSince === undefined ? 0 : (Date.now() - this.downSince) / 1000;
    this.downSince = undefined;
    this.isConnected = true;
    this.connectedAt = this.timers.now();
    this.serverReceiveMaximum = connack.properties?.receiveMaximum ?? MAX_RECEIVE_MAXIMUM;
    this.stats.connects++;
    this.stats.lastError = null;
    this.lastLogged = '';
    this.log.info(
      { sessionPresent: connack.sessionPresent, receiveMaximum: this.serverReceiveMaximum, connects: this.stats.connects, attempts: this.stats.attempts, downForS: Math.round(downForS) },
      'connected to the MQTT broker',
    );
    this.publishMessage(this.topics.message('availability', 'online')).catch((err: unknown) => {
      this.log.warn({ err: errText(err) }, "could not publish availability 'online'");
    });
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (err) {
        this.log.error({ err: errText(err) }, 'an MQTT connect listener failed');
      }
    }
  }

  private onClientError(client: MqttClient, err: Error): void {
    if (client !== this.client) return;
    this.attemptError = connectionError(err);
  }

  /** MQTT 5 server DISCONNECT (session taken over by the same client id, server shutting down, ...). */
  private onServerDisconnect(client: MqttClient, packet: IDisconnectPacket): void {
    if (client !== this.client) return;
    const code = packet.reasonCode ?? 0;
    const hint = code === 0x8e ? 'another client connected with the same client id; give each gateway its own mqtt.clientId' : reasonHint(code, 'disconnect');
    this.attemptError = {
      code: 'BROKER_UNREACHABLE',
      message: `the broker closed the connection: ${reasonText(code)}`,
      reasonCode: code,
      ...(hint ? { hint } : {}),
      at: new Date().toISOString(),
    };
  }

  private onClosed(client: MqttClient): void {
    if (client !== this.client) return;
    const wasConnected = this.isConnected;
    const upMs = this.timers.now() - this.connectedAt;
    this.dropClient(client);
    if (this.stopping) return;
    const error = this.attemptError ?? {
      code: 'BROKER_UNREACHABLE' as const,
      message: wasConnected ? 'the connection to the broker was lost' : 'the broker closed the connection before CONNACK',
      at: new Date().toISOString(),
    };
    this.stats.lastError = error;
    if (wasConnected && upMs >= (this.opts.stableAfterMs ?? 30_000)) this.backoff.reset();
    this.scheduleRetry(error, wasConnected);
  }

  private scheduleRetry(error: ConnectionError, wasConnected: boolean): void {
    const delay = this.backoff.next();
    this.downSince ??= Date.now();
    this.stats.nextRetryMs = delay;
    this.stats.delays.push(delay);
    if (this.stats.delays.length > RECENT_DELAYS) this.stats.delays.shift();
    this.retryTimer = this.timers.setTimeout(() => this.retry(), delay);
    // One warning per distinct failure, not one per retry through an hours-long outage.
    const line = `${error.code}: ${error.message}`;
    const fields = { code: error.code, reasonCode: error.reasonCode, err: error.message, hint: error.hint, retryInMs: delay, failures: this.backoff.attempt };
    if (wasConnected || line !== this.lastLogged) this.log.warn(fields, wasConnected ? 'MQTT connection lost' : 'cannot connect to the MQTT broker');
    else this.log.debug(fields, 'still cannot connect to the MQTT broker');
    this.lastLogged = line;
  }

  /** Forgets a finished client: its unacknowledged publishes are rejected for the outbox to resend. */
  private dropClient(client: MqttClient): void {
    if (client === this.client) this.client = undefined;
    this.isConnected = false;
    for (const entry of this.pending) {
      this.timers.clearTimeout(entry.timer);
      entry.reject(new MqttError('PUBLISH_FAILED', 'the connection closed before PUBACK'));
    }
    this.pending.clear();
    if (!client.disconnecting && !client.disconnected) client.end(true);
  }

  private clearRetry(): void {
    if (this.retryTimer !== undefined) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.stats.nextRetryMs = null;
  }
}

function deadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
