import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import type { IClientOptions, MqttClient } from 'mqtt';
import { ErrorWithReasonCode } from 'mqtt';
import pino from 'pino';
import { MqttSchema } from '../../src/config/schema.js';
import { Backoff, backoffDelay } from '../../src/mqtt/backoff.js';
import { MqttConnection } from '../../src/mqtt/connection.js';
import type { TimerHandle, Timers } from '../../src/mqtt/timers.js';

describe('backoffDelay', () => {
  const opts = { initialMs: 1000, maxMs: 60_000, jitter: 0.3 };

  test('doubles from the initial delay and stops at the cap (no jitter at random 0.5)', () => {
    const delays = Array.from({ length: 9 }, (_, i) => backoffDelay(i, { ...opts, random: () => 0.5 }));
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  });

  test('jitter spreads each delay by ±jitter of its base, never above the cap', () => {
    assert.equal(backoffDelay(0, { ...opts, random: () => 0 }), 700);
    assert.equal(backoffDelay(0, { ...opts, random: () => 0.999999 }), 1300);
    assert.equal(backoffDelay(3, { ...opts, random: () => 0.25 }), 8000 - 0.5 * 0.3 * 8000);
    assert.equal(backoffDelay(10, { ...opts, random: () => 0.999999 }), 60_000, 'capped after jitter');
    assert.equal(backoffDelay(10, { ...opts, random: () => 0 }), 42_000);
  });

  test('stays finite and within [0, max] for huge attempts and full jitter', () => {
    assert.equal(backoffDelay(1e6, { ...opts, random: () => 0.5 }), 60_000);
    assert.equal(backoffDelay(0, { initialMs: 100, maxMs: 1000, jitter: 1, random: () => 0 }), 0);
  });

  test('Backoff counts failures and starts over after reset', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 250, jitter: 0, random: () => 0.5 });
    assert.deepEqual([b.next(), b.next(), b.next(), b.next()], [100, 200, 250, 250]);
    assert.equal(b.attempt, 4);
    b.reset();
    assert.equal(b.next(), 100);
  });
});

/** Timers driven by the test: advance() runs what is due, in time order. */
class FakeTimers implements Timers {
  private t = 0;
  private seq = 0;
  private readonly queue = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.queue.set(id, { at: this.t + ms, fn });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.queue.delete(handle as number);
  }

  /** Delays of the timers now pending, relative to now. */
  pending(): number[] {
    return [...this.queue.values()].map((q) => q.at - this.t);
  }

  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.queue.entries()].filter(([, q]) => q.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.queue.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
    }
    this.t = end;
  }
}

/** Stands in for an mqtt.js client: the test emits what the broker would cause. */
class FakeClient extends EventEmitter {
  disconnecting = false;
  disconnected = false;
  readonly published: string[] = [];

  publish(topic: string, _payload: unknown, _opts: unknown, cb: (err?: Error) => void): void {
    this.published.push(topic);
    queueMicrotask(() => cb());
  }

  end(_force?: boolean, _opts?: unknown, cb?: () => void): void {
    this.disconnected = true;
    cb?.();
  }
}

function connectionUnderTest(config: Record<string, unknown>) {
  const timers = new FakeTimers();
  const clients: FakeClient[] = [];
  const seen: IClientOptions[] = [];
  const conn = new MqttConnection({
    config: MqttSchema.parse({ url: 'mqtt://user:secret@broker.invalid:1883', ...config }),
    deviceId: 'gw1',
    logger: pino({ level: 'silent' }),
    timers,
    random: () => 0.5,
    stableAfterMs: 10_000,
    connect: (_url, options) => {
      seen.push(options);
      const c = new FakeClient();
      clients.push(c);
      return c as unknown as MqttClient;
    },
  });
  const last = (): FakeClient => clients[clients.length - 1] as FakeClient;
  const refuse = (): void => {
    last().emit('error', Object.assign(new Error('connect ECONNREFUSED 10.0.0.9:1883'), { code: 'ECONNREFUSED' }));
    last().emit('close');
  };
  return { conn, timers, clients, seen, last, refuse };
}

describe('MqttConnection reconnect schedule (fake clock and client)', () => {
  const cfg = { reconnectInitialS: 0.1, reconnectMaxS: 1, reconnectJitter: 0.3 };

  test('retries with growing delays up to the cap while the broker is unreachable', async () => {
    const { conn, timers, clients, refuse } = connectionUnderTest(cfg);
    await conn.start();
    for (let i = 0; i < 6; i++) {
      refuse();
      const s = conn.state();
      assert.equal(timers.pending().length, 1, 'exactly one retry pending');
      timers.advance(s.nextRetryMs ?? 0);
    }
    const s = conn.state();
    assert.deepEqual(s.recentDelaysMs, [100, 200, 400, 800, 1000, 1000]);
    assert.equal(s.attempts, 7);
    assert.equal(clients.length, 7, 'a fresh client per attempt');
    assert.equal(s.connected, false);
    assert.equal(s.lastError?.code, 'BROKER_UNREACHABLE');
    assert.match(s.lastError?.message ?? '', /ECONNREFUSED/);
  });

  test('a connection that stayed up past stableAfterMs starts the backoff over; a short one does not', async () => {
    const { conn, timers, last, refuse } = connectionUnderTest(cfg);
    await conn.start();
    refuse();
    timers.advance(100);
    refuse();
    timers.advance(200);
    assert.ok(conn.state().disconnectedSince, 'down since the first failure');
    last().emit('connect', { cmd: 'connack', sessionPresent: false });
    assert.equal(conn.connected, true);
    assert.equal(conn.state().disconnectedSince, null);
    assert.equal(conn.state().lastError, null);
    assert.deepEqual(last().published, ['edge-agent/gw1/availability'], "'online' on connect");
    timers.advance(500);
    last().emit('close'); // up 0.5 s: not stable
    assert.equal(conn.state().nextRetryMs, 400);
    timers.advance(400);
    last().emit('connect', { cmd: 'connack', sessionPresent: true });
    timers.advance(10_000);
    last().emit('close'); // up 10 s: stable
    assert.equal(conn.state().nextRetryMs, 100);
    assert.equal(conn.state().reconnects, 1);
    assert.equal(conn.state().lastError?.message, 'the connection to the broker was lost');
  });

  test('a CONNACK refusal is BROKER_REFUSED with the reason, and backs off like any failure', async () => {
    const { conn, last } = connectionUnderTest({ ...cfg, protocolVersion: 5 });
    await conn.start();
    last().emit('error', new ErrorWithReasonCode('Connection refused: Bad User Name or Password', 0x86));
    last().emit('close');
    const s = conn.state();
    assert.equal(s.lastError?.code, 'BROKER_REFUSED');
    assert.equal(s.lastError?.reasonCode, 0x86);
    assert.match(s.lastError?.message ?? '', /Bad User Name or Password \(0x86\)/);
    assert.match(s.lastError?.hint ?? '', /passwordFile/);
    assert.equal(s.nextRetryMs, 100);
  });

  test('client options: persistent session, own reconnect, last will, MQTT 5 session expiry', async () => {
    const { conn, seen } = connectionUnderTest(cfg);
    await conn.start();
    const o = seen[0] as IClientOptions;
    assert.equal(o.clean, false);
    assert.equal(o.reconnectPeriod, 0);
    assert.equal(o.clientId, 'edge-agent-gw1');
    assert.equal(o.protocolVersion, 5);
    assert.equal(o.properties?.sessionExpiryInterval, 7 * 24 * 3600);
    assert.deepEqual({ ...o.will, payload: String(o.will?.payload) }, { topic: 'edge-agent/gw1/availability', payload: 'offline', qos: 1, retain: true });
  });

  test('stop() cancels the pending retry', async () => {
    const { conn, timers, refuse } = connectionUnderTest(cfg);
    await conn.start();
    refuse();
    assert.equal(timers.pending().length, 1);
    await conn.stop();
    assert.equal(timers.pending().length, 0);
    assert.equal(conn.state().nextRetryMs, null);
  });

  test('publish while disconnected rejects at once with PUBLISH_FAILED', async () => {
    const { conn, refuse } = connectionUnderTest(cfg);
    await conn.start();
    refuse();
    await assert.rejects(conn.publish('a/b', 'x', { qos: 1 }), { code: 'PUBLISH_FAILED' });
  });
});
