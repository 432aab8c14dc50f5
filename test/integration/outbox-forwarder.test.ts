/**
 * The forwarder's bounds with the real event store and a scripted publisher
 * (PUBACKs released by the test, clock driven by the test): in-flight window,
 * JSON order, throttle, per-event backoff, reconnect, stop deadline.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pino from 'pino';
import { OutboxSchema } from '../../src/config/schema.js';
import type { EventStore } from '../../src/events/store.js';
import type { PublishOptions, Publisher } from '../../src/mqtt/connection.js';
import { MqttError } from '../../src/mqtt/errors.js';
import type { TimerHandle, Timers } from '../../src/mqtt/timers.js';
import { Topics, type OutgoingMessage } from '../../src/mqtt/topics.js';
import { Forwarder } from '../../src/outbox/forwarder.js';
import { makeEvent, tempStore, waitFor } from '../support/mosquitto.js';

const root = mkdtempSync(join(tmpdir(), 'outbox-forwarder-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Sent {
  topic: string;
  resolve: () => void;
  reject: (e: Error) => void;
  settled: boolean;
}

/** A Publisher whose PUBACKs the test hands out. */
class ScriptedPublisher implements Publisher {
  connected = true;
  receiveMaximum = 65_535;
  readonly topics = new Topics('t', 'gw');
  readonly sent: Sent[] = [];
  private readonly listeners = new Set<() => void>();

  publish(topic: string, _payload: string | Buffer, _opts: PublishOptions): Promise<void> {
    if (!this.connected) return Promise.reject(new MqttError('PUBLISH_FAILED', 'not connected'));
    return new Promise((resolve, reject) => {
      const s: Sent = { topic, settled: false, resolve: () => ((s.settled = true), resolve()), reject: (e) => ((s.settled = true), reject(e)) };
      this.sent.push(s);
    });
  }

  publishMessage(m: OutgoingMessage): Promise<void> {
    return this.publish(m.topic, m.payload, m);
  }

  onConnect(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  pending(): Sent[] {
    return this.sent.filter((s) => !s.settled);
  }

  events(): string[] {
    return this.sent.filter((s) => s.topic === 't/gw/events').map((s) => s.topic);
  }

  ackAll(): void {
    for (const s of this.pending()) s.resolve();
  }

  drop(): void {
    this.connected = false;
    for (const s of this.pending()) s.reject(new MqttError('PUBLISH_FAILED', 'the connection closed before PUBACK'));
  }

  reconnect(): void {
    this.connected = true;
    for (const l of this.listeners) l();
  }
}

class ManualTimers implements Timers {
  t = 0;
  private seq = 0;
  private readonly q = new Map<number, { at: number; fn: () => void }>();
  now = (): number => this.t;
  setTimeout = (fn: () => void, ms: number): TimerHandle => (this.q.set(++this.seq, { at: this.t + ms, fn }), this.seq);
  clearTimeout = (h: TimerHandle): void => void this.q.delete(h as number);
  advance(ms: number): void {
    const end = this.t + ms;
    for (let next = this.due(end); next; next = this.due(end)) {
      this.q.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
  private due(end: number) {
    return [...this.q.entries()].filter(([, v]) => v.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
  }
}

let n = 0;
function setup(outbox: Record<string, unknown>, snapshots = false) {
  const { store } = tempStore(root, `case-${++n}`);
  const publisher = new ScriptedPublisher();
  const timers = new ManualTimers();
  const forwarder = new Forwarder({
    store,
    connection: publisher,
    config: OutboxSchema.parse(outbox),
    snapshots,
    logger: pino({ level: 'silent' }),
    timers,
    retryInitialMs: 1000,
  });
  return { store, publisher, timers, forwarder };
}

async function save(store: EventStore, count: number, jpeg: Buffer | null = null): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await store.save(makeEvent({ trackId: i }), jpeg)).id);
  return ids;
}

const idOf = (s: Sent): string => s.topic.split('/')[3] ?? '';

/** Lets the forwarder's awaits (snapshot step, JSON turn) run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Forwarder', () => {
  test('at most outbox.inflight events await PUBACK, and fewer when the broker allows fewer', async () => {
    const { store, publisher, forwarder } = setup({ inflight: 3, drainPerSecond: 10_000 });
    await save(store, 10);
    forwarder.start();
    await settle();
    assert.equal(publisher.pending().length, 3);
    publisher.ackAll();
    await waitFor(() => publisher.pending().length === 3 && forwarder.stats().delivered === 3, 2000, 'the next window');
    publisher.receiveMaximum = 4; // keeps 2 for availability and state: 2 for events
    publisher.ackAll();
    await waitFor(() => forwarder.stats().delivered === 6, 2000, 'six delivered');
    assert.equal(publisher.pending().length, 2);
    await forwarder.stop(0);
    store.close();
  });

  test('event JSONs leave in save order even when a later snapshot is acknowledged first', async () => {
    const { store, publisher, forwarder } = setup({ inflight: 5, drainPerSecond: 10_000 }, true);
    const ids = await save(store, 2, Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
    forwarder.start();
    await waitFor(() => publisher.pending().length === 2, 2000, 'both snapshots');
    // Snapshot reads finish in any order; only the JSONs are ordered.
    const snapOf = (id: string | undefined): Sent => publisher.pending().find((s) => idOf(s) === id) as Sent;
    const [snap1, snap2] = [snapOf(ids[0]), snapOf(ids[1])];
    assert.ok(snap1 && snap2, 'one snapshot per event');
    snap2.resolve();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(publisher.events().length, 0, "event 2's JSON waits for event 1's");
    snap1.resolve();
    await waitFor(() => publisher.events().length === 2, 2000, 'both JSONs');
    publisher.ackAll();
    await waitFor(() => store.countUndelivered() === 0, 2000, 'delivered');
    await forwarder.stop(0);
    store.close();
  });

  test('sends are spaced to drainPerSecond', async () => {
    const { store, publisher, timers, forwarder } = setup({ inflight: 100, drainPerSecond: 10 });
    await save(store, 30);
    forwarder.start();
    publisher.ackAll();
    const sentAfter = async (ms: number): Promise<number> => {
      let left = ms;
      do {
        const step = Math.min(10, left);
        timers.advance(step);
        left -= step;
        await settle();
        publisher.ackAll();
      } while (left > 0);
      return publisher.sent.length;
    };
    assert.equal(await sentAfter(0), 1);
    assert.equal(await sentAfter(99), 1);
    assert.equal(await sentAfter(1), 2);
    assert.equal(await sentAfter(900), 11, '10 a second');
    await forwarder.stop(0);
    store.close();
  });

  test('a rejected event backs off on its own while later events flow; then it is retried', async () => {
    const { store, publisher, timers, forwarder } = setup({ inflight: 1, drainPerSecond: 10_000 });
    const ids = await save(store, 3);
    forwarder.start();
    await settle();
    (publisher.pending()[0] as Sent).reject(new MqttError('PUBLISH_REJECTED', 'Quota exceeded (0x97)', { reasonCode: 0x97 }));
    await waitFor(() => store.deliveryState(ids[0] as string)?.attempts === 1, 2000, 'the failure recorded');
    for (let i = 0; i < 2; i++) {
      await waitFor(() => publisher.pending().length === 1, 2000, 'the next event');
      publisher.ackAll();
    }
    await waitFor(() => forwarder.stats().delivered === 2, 2000, 'the later two delivered');
    assert.equal(publisher.pending().length, 0, 'the rejected one waits for its retry');
    timers.advance(1200); // retryInitialMs 1000 ± 20 %
    await settle();
    assert.equal(publisher.pending().length, 1);
    publisher.ackAll();
    await waitFor(() => store.countUndelivered() === 0, 2000, 'all delivered');
    assert.deepEqual(forwarder.stats(), { sent: 4, delivered: 3, failed: 1, dropped: 0, backlog: 0, inflight: 0 });
    await forwarder.stop(0);
    store.close();
  });

  test('a dropped connection leaves events queued; they go again right after the reconnect', async () => {
    const { store, publisher, forwarder } = setup({ inflight: 5, drainPerSecond: 10_000 });
    await save(store, 3);
    forwarder.start();
    await settle();
    assert.equal(publisher.pending().length, 3);
    publisher.drop();
    await waitFor(() => forwarder.stats().inflight === 0, 2000, 'in-flight rejected');
    assert.equal(store.countUndelivered(), 3);
    forwarder.notify();
    await settle();
    assert.equal(publisher.pending().length, 0, 'nothing sent while disconnected');
    publisher.reconnect();
    await settle();
    assert.equal(publisher.pending().length, 3, 'resent at once, no per-event backoff');
    publisher.ackAll();
    await waitFor(() => store.countUndelivered() === 0, 2000, 'delivered');
    await forwarder.stop(0);
    store.close();
  });

  test('stop() waits for in-flight PUBACKs up to its deadline; unacknowledged events stay queued', async () => {
    const { store, publisher, forwarder } = setup({ inflight: 2, drainPerSecond: 10_000 });
    const ids = await save(store, 2);
    forwarder.start();
    await settle();
    const [first] = publisher.pending() as [Sent];
    setTimeout(() => first.resolve(), 30);
    const t0 = Date.now();
    await forwarder.stop(300);
    const waited = Date.now() - t0;
    assert.ok(waited >= 250 && waited < 2000, `waited ${waited} ms`);
    assert.ok(store.deliveryState(ids[0] as string)?.deliveredAt, 'acknowledged during stop: delivered');
    assert.deepEqual(store.undelivered(10).map((e) => e.id), [ids[1]]);
    store.close();
  });
});
