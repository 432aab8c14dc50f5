/**
 * The outbox forwarder: gets every stored event to the broker, once, with its
 * snapshot. The events table is the outbox (rows are committed before they
 * are published), so a broker outage or a kill -9 loses nothing: whatever is
 * not marked delivered goes out after the next connect, oldest first.
 *
 * Per event: snapshot JPEG (QoS 1, awaited), then the event JSON (QoS 1);
 * PUBACK of the JSON marks it delivered. Event JSONs leave in save order even
 * with several events in flight. At most `outbox.inflight` events await a
 * PUBACK, sends are spaced to `outbox.drainPerSecond`, a failed event backs
 * off on its own (others keep flowing), and the quota drops the oldest
 * undelivered events when the broker stays away too long.
 */
import { readFile } from 'node:fs/promises';
import type { OutboxConfig } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import type { AgentEvent } from '../events/event.js';
import type { EventStore } from '../events/store.js';
import { backoffDelay } from '../mqtt/backoff.js';
import type { Publisher } from '../mqtt/connection.js';
import { errText, isMqttError } from '../mqtt/errors.js';
import { realTimers, type TimerHandle, type Timers } from '../mqtt/timers.js';
import type { SnapshotRef } from '../mqtt/topics.js';
import { eventMessage, snapshotRef } from './event-message.js';

export type OutboxStore = Pick<
  EventStore,
  'undelivered' | 'markDelivered' | 'markFailed' | 'enforceQuota' | 'countUndelivered' | 'snapshotPath'
>;

export interface ForwarderOptions {
  readonly store: OutboxStore;
  readonly connection: Publisher;
  /** The `outbox` config section: maxEvents, drainPerSecond, inflight. */
  readonly config: OutboxConfig;
  /** Publish each event's snapshot JPEG first (mqtt.snapshots). */
  readonly snapshots: boolean;
  readonly logger: Logger;
  readonly timers?: Timers;
  /** First retry delay of an event the broker rejected, ms; doubles per failure. Default 1000. */
  readonly retryInitialMs?: number;
  /** Largest retry delay of one event, ms. Default 300 000 (5 min). */
  readonly retryMaxMs?: number;
  /** Quota check interval besides the one on every notify(), ms. Default 60 000. */
  readonly quotaIntervalMs?: number;
  /** How long stop() waits for publishes awaiting PUBACK, ms. Default 5000. */
  readonly stopDeadlineMs?: number;
}

export interface ForwarderStats {
  /** Event messages handed to the broker. */
  sent: number;
  /** Events the broker acknowledged (marked delivered). */
  delivered: number;
  /** Failed delivery attempts (each stays queued and is retried). */
  failed: number;
  /** Events the quota dropped since start. */
  dropped: number;
  /** Events in the store not yet delivered nor dropped. */
  backlog: number;
  /** Events awaiting PUBACK now. */
  inflight: number;
}

/** Most undelivered rows read per scan for one sendable event (when many are backing off). */
const MAX_SCAN = 1000;
/** QoS 1 sends left to other publishers (availability, camera state) within the broker's Receive Maximum. */
const RESERVED_SENDS = 2;
/** Ids per quota log line. */
const IDS_PER_LINE = 100;

interface Retry {
  /** timers.now() value from which the event may be sent again. */
  at: number;
  failures: number;
}

export class Forwarder {
  private readonly opts: ForwarderOptions;
  private readonly timers: Timers;
  private readonly log: Logger;
  private readonly intervalMs: number;
  private readonly burst: number;
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly retries = new Map<string, Retry>();
  private readonly counters = { sent: 0, delivered: 0, failed: 0, dropped: 0 };
  private running = false;
  private due = 0;
  private wakeTimer: TimerHandle | undefined;
  private wakeTime = 0;
  private quotaTimer: TimerHandle | undefined;
  private unsubscribe: (() => void) | undefined;
  /** Resolves when the previous event's JSON has been handed to the client: keeps JSONs in save order. */
  private turn: Promise<void> = Promise.resolve();

  constructor(opts: ForwarderOptions) {
    this.opts = opts;
    this.timers = opts.timers ?? realTimers;
    this.log = opts.logger.child({ component: 'outbox' });
    this.intervalMs = 1000 / opts.config.drainPerSecond;
    // Sends allowed back to back after an idle spell: 10 ms worth, at least one.
    // Without it rates above ~1000/s would be capped by timer granularity.
    this.burst = Math.max(1, Math.ceil(opts.config.drainPerSecond / 100));
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.opts.connection.onConnect(() => this.pump());
    this.enforceQuota();
    this.scheduleQuota();
    this.log.info({ backlog: this.opts.store.countUndelivered(), maxEvents: this.opts.config.maxEvents }, 'outbox started');
    this.pump();
  }

  /** Call after each saved event: it goes out at once when connected. */
  notify(): void {
    if (!this.running) return;
    this.enforceQuota();
    this.pump();
  }

  /**
   * Stops sending and waits up to the deadline for publishes awaiting PUBACK
   * (those acknowledged in time are marked delivered; the rest stay queued).
   * Call before stopping the connection.
   */
  async stop(deadlineMs: number = this.opts.stopDeadlineMs ?? 5000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.clearTimer('wakeTimer');
    this.clearTimer('quotaTimer');
    if (this.inflight.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
    await Promise.race([Promise.allSettled([...this.inflight.values()]), expired]);
    clearTimeout(timer);
    if (this.inflight.size > 0) this.log.warn({ inflight: this.inflight.size }, 'stopped with events awaiting PUBACK; they stay queued');
  }

  stats(): ForwarderStats {
    return { ...this.counters, backlog: this.opts.store.countUndelivered(), inflight: this.inflight.size };
  }

  private pump(): void {
    if (!this.running || !this.opts.connection.connected) return;
    try {
      while (this.inflight.size < this.window()) {
        // Throttle as a virtual schedule (GCRA): `due` advances one interval per
        // send; up to `burst` sends may run ahead of it after an idle spell.
        const now = this.timers.now();
        const earliest = this.due - (this.burst - 1) * this.intervalMs;
        if (now < earliest) return this.wakeAt(earliest);
        const event = this.nextEvent(now);
        if (!event) return;
        this.due = Math.max(this.due, now) + this.intervalMs;
        this.send(event);
      }
    } catch (err) {
      // The store failed (disk, I/O): try again later rather than in a tight loop.
      this.log.error({ err: errText(err) }, 'reading the outbox failed');
      this.wakeAt(this.timers.now() + (this.opts.retryInitialMs ?? 1000));
    }
  }

  /**
   * Events in flight at once: outbox.inflight, but below the broker's Receive
   * Maximum, keeping RESERVED_SENDS for availability and camera state.
   */
  private window(): number {
    const broker = this.opts.connection.receiveMaximum;
    return Math.max(1, Math.min(this.opts.config.inflight, broker - RESERVED_SENDS));
  }

  /** The oldest undelivered event neither in flight nor backing off. */
  private nextEvent(now: number): AgentEvent | undefined {
    const limit = Math.min(MAX_SCAN, this.inflight.size + this.retries.size + 1);
    for (const event of this.opts.store.undelivered(limit)) {
      if (this.inflight.has(event.id)) continue;
      const retry = this.retries.get(event.id);
      if (retry && retry.at > now) continue;
      return event;
    }
    let earliest = Infinity;
    for (const r of this.retries.values()) earliest = Math.min(earliest, r.at);
    if (earliest !== Infinity) this.wakeAt(earliest);
    return undefined;
  }

  private send(event: AgentEvent): void {
    const previous = this.turn;
    let release: () => void = () => undefined;
    this.turn = new Promise<void>((resolve) => (release = resolve));
    const delivery = this.deliver(event, previous, release).finally(() => {
      this.inflight.delete(event.id);
      this.pump();
    });
    this.inflight.set(event.id, delivery);
  }

  /** Never rejects: a failure is recorded on the event, which stays queued. */
  private async deliver(event: AgentEvent, previous: Promise<void>, release: () => void): Promise<void> {
    const conn = this.opts.connection;
    try {
      const snapshot = await this.sendSnapshot(event);
      await previous;
      const acked = conn.publishMessage(conn.topics.message('events', eventMessage(event, conn.topics.device, snapshot)));
      release();
      this.counters.sent++;
      await acked;
      this.opts.store.markDelivered(event.id);
      this.counters.delivered++;
      this.retries.delete(event.id);
      this.log.debug({ event: event.id, camera: event.camera }, 'event delivered');
    } catch (err) {
      this.failed(event, err);
    } finally {
      release();
    }
  }

  /** Publishes the JPEG and waits for its PUBACK, so the event JSON never arrives first. */
  private async sendSnapshot(event: AgentEvent): Promise<SnapshotRef | null> {
    const path = this.opts.snapshots ? this.opts.store.snapshotPath(event) : null;
    if (path === null) return null;
    let jpeg: Buffer;
    try {
      jpeg = await readFile(path);
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'ENOENT') throw err;
      this.log.warn({ event: event.id, path }, 'snapshot file is gone; sending the event without it');
      return null;
    }
    const conn = this.opts.connection;
    const msg = conn.topics.message('snapshot', jpeg, event.id);
    await conn.publishMessage(msg);
    return snapshotRef(msg.topic, jpeg);
  }

  private failed(event: AgentEvent, err: unknown): void {
    this.counters.failed++;
    const code = isMqttError(err) ? err.code : (err as { code?: unknown }).code;
    const reasonCode = isMqttError(err) ? err.reasonCode : undefined;
    const text = errText(err);
    try {
      this.opts.store.markFailed(event.id, `${String(code ?? 'ERROR')}: ${text}`);
    } catch (storeErr) {
      this.log.error({ event: event.id, err: errText(storeErr) }, 'cannot record the failed attempt');
    }
    // A lost connection is the connection's to retry (with its backoff); the
    // event goes again right after the reconnect. Anything else backs off per event.
    if (isMqttError(err, 'PUBLISH_FAILED') && !this.opts.connection.connected) {
      this.log.debug({ event: event.id, err: text }, 'event not acknowledged before the connection dropped; it stays queued');
      return;
    }
    const failures = (this.retries.get(event.id)?.failures ?? 0) + 1;
    const delay = backoffDelay(failures - 1, { initialMs: this.opts.retryInitialMs ?? 1000, maxMs: this.opts.retryMaxMs ?? 300_000, jitter: 0.2 });
    this.retries.set(event.id, { at: this.timers.now() + delay, failures });
    this.log.warn({ event: event.id, code, reasonCode, err: text, failures, retryInMs: delay }, 'event not delivered; it stays queued');
  }

  private enforceQuota(): void {
    let dropped: AgentEvent[];
    try {
      dropped = this.opts.store.enforceQuota(this.opts.config.maxEvents);
    } catch (err) {
      this.log.error({ err: errText(err) }, 'cannot enforce the outbox quota');
      return;
    }
    if (dropped.length === 0) return;
    this.counters.dropped += dropped.length;
    for (const e of dropped) this.retries.delete(e.id);
    for (let i = 0; i < dropped.length; i += IDS_PER_LINE) {
      const ids = dropped.slice(i, i + IDS_PER_LINE).map((e) => e.id);
      this.log.warn(
        { dropped: dropped.length, ids, maxEvents: this.opts.config.maxEvents, droppedTotal: this.counters.dropped },
        'outbox full: oldest undelivered events dropped',
      );
    }
  }

  private scheduleQuota(): void {
    this.quotaTimer = this.timers.setTimeout(() => {
      this.enforceQuota();
      this.scheduleQuota();
    }, this.opts.quotaIntervalMs ?? 60_000);
  }

  private wakeAt(time: number): void {
    if (this.wakeTimer !== undefined && this.wakeTime <= time) return;
    this.clearTimer('wakeTimer');
    this.wakeTime = time;
    this.wakeTimer = this.timers.setTimeout(() => {
      this.wakeTimer = undefined;
      this.pump();
    }, Math.max(0, time - this.timers.now()));
  }

  private clearTimer(which: 'wakeTimer' | 'quotaTimer'): void {
    const t = this[which];
    if (t !== undefined) this.timers.clearTimeout(t);
    this[which] = undefined;
  }
}
