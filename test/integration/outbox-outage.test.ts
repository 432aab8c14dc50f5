/**
 * The outbox through broker outages, the quota, and kill -9 of the agent,
 * against a real mosquitto. The subscriber keeps a persistent session on a
 * broker with persistence, so it misses nothing published while it is
 * reconnecting itself; it dedupes by event id and counts duplicates (QoS 1
 * allows them in principle).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, afterEach, describe, test, type TestContext } from 'node:test';
import { DeviceSchema, MqttSchema, OutboxSchema } from '../../src/config/schema.js';
import type { AgentEvent } from '../../src/events/event.js';
import type { EventStore } from '../../src/events/store.js';
import { CloudLink } from '../../src/outbox/cloud-link.js';
import { Mosquitto, Subscriber, captureLogger, makeEvent, noiseJpeg, tempStore, waitFor } from '../support/mosquitto.js';

const root = mkdtempSync(join(tmpdir(), 'outbox-outage-'));
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});
after(() => rmSync(root, { recursive: true, force: true }));

async function startBroker(): Promise<Mosquitto> {
  const broker = await Mosquitto.start({ persistence: true });
  cleanups.push(() => broker.cleanup());
  return broker;
}

const RECONNECT = { reconnectInitialS: 0.1, reconnectMaxS: 1.6, reconnectJitter: 0.3 };

function newLink(broker: Mosquitto, device: string, outbox: Record<string, unknown> = {}, store?: EventStore) {
  const opened = store ? { store } : tempStore(root, device);
  const { logger, text } = captureLogger();
  const config = {
    device: DeviceSchema.parse({ id: device }),
    mqtt: MqttSchema.parse({ url: broker.url, topicPrefix: 'test', ...RECONNECT }),
    outbox: OutboxSchema.parse(outbox),
  };
  const link = new CloudLink({ config, store: opened.store, logger, connection: { connectTimeoutMs: 5000 } });
  cleanups.push(() => link.stop());
  if (!store) cleanups.push(() => opened.store.close());
  return { link, store: opened.store, logs: text };
}

/** The cloud: persistent session, dedupes event JSONs by id. */
async function cloud(broker: Mosquitto, device: string) {
  const sub = await Subscriber.connect(broker.url, [`test/${device}/events`, `test/${device}/events/+/snapshot`], {
    clientId: `cloud-${device}`,
    clean: false,
    protocolVersion: 5,
    properties: { sessionExpiryInterval: 3600 },
  });
  cleanups.push(() => sub.close());
  const events = () => sub.on(`test/${device}/events`).map((m) => JSON.parse(m.payload.toString()) as { id: string });
  const unique = () => [...new Set(events().map((e) => e.id))];
  return { sub, events, unique, duplicates: () => events().length - unique().length };
}

async function saveEvents(link: CloudLink, store: EventStore, count: number): Promise<AgentEvent[]> {
  const saved: AgentEvent[] = [];
  for (let i = 0; i < count; i++) {
    saved.push(await store.save(makeEvent({ trackId: i, startS: i }), await noiseJpeg()));
    link.notify();
  }
  return saved;
}

/** Checks the retry delays follow initial × 2^i (±jitter), capped; returns how many reached the cap. */
function assertBackoff(delays: readonly number[]): number {
  const initial = RECONNECT.reconnectInitialS * 1000;
  const max = RECONNECT.reconnectMaxS * 1000;
  const j = RECONNECT.reconnectJitter;
  delays.forEach((d, i) => {
    const base = Math.min(max, initial * 2 ** i);
    assert.ok(d >= Math.floor(base * (1 - j)) && d <= Math.min(max, Math.ceil(base * (1 + j))), `delay ${i} = ${d} ms, base ${base} ms (all: ${delays.join(', ')})`);
  });
  return delays.filter((d, i) => initial * 2 ** i >= max && d <= max).length;
}

describe('outbox through a broker outage', () => {
  test('20 events saved while the broker is down stay queued, then all arrive in order, none twice', async (t: TestContext) => {
    const broker = await startBroker();
    const device = 'gw-outage';
    const { link, store } = newLink(broker, device);
    const remote = await cloud(broker, device);
    await link.start();
    const warmup = await saveEvents(link, store, 1);
    await waitFor(() => remote.unique().length === 1 && store.countUndelivered() === 0, 10_000, 'the first event delivered');

    await broker.stop();
    await waitFor(() => !link.connection.connected, 5000, 'the agent to notice the outage');
    const saved = await saveEvents(link, store, 20);
    assert.equal(store.countUndelivered(), 20, 'all 20 stay queued in the store');
    await waitFor(() => link.connection.state().recentDelaysMs.length >= 7, 20_000, 'seven reconnect attempts');
    const during = link.connection.state();
    assert.equal(during.connected, false);
    assert.equal(during.lastError?.code, 'BROKER_UNREACHABLE');
    assert.ok(during.failures >= 7, `failures ${during.failures}`);
    const capped = assertBackoff(during.recentDelaysMs);
    assert.ok(capped >= 2, 'the last delays sit at the cap');
    assert.equal(link.forwarder.stats().backlog, 20);

    await broker.restart();
    await waitFor(() => remote.unique().length === 21, 30_000, 'all 21 events at the subscriber');
    await waitFor(() => store.countUndelivered() === 0, 10_000, 'all marked delivered');
    const order = remote.unique();
    assert.deepEqual(order, [...warmup, ...saved].map((e) => e.id), 'save order');
    for (const e of saved) {
      const snapAt = remote.sub.messages.findIndex((m) => m.topic === `test/${device}/events/${e.id}/snapshot`);
      const eventAt = remote.sub.messages.findIndex((m) => m.topic === `test/${device}/events` && m.payload.includes(e.id));
      assert.ok(snapAt >= 0 && snapAt < eventAt, `snapshot of ${e.id} first`);
    }
    const f = link.forwarder.stats();
    const dup = remote.duplicates();
    t.diagnostic(
      `outage: saved 21, sent ${f.sent}, delivered ${f.delivered}, received ${remote.events().length}, duplicated ${dup}, ` +
        `lost ${21 - remote.unique().length}; retry delays ms ${during.recentDelaysMs.join(', ')}`,
    );
    assert.equal(dup, 0, 'no duplicates');
    assert.deepEqual(store.deliveryCounts(), { delivered: 21, undelivered: 0, dropped: 0 });
    assert.equal(link.connection.state().reconnects, 1);
  });

  test('quota: with maxEvents 5 and 8 undelivered the 3 oldest are dropped, counted and logged; the 5 go out later', async () => {
    const broker = await startBroker();
    const device = 'gw-quota';
    const remote = await cloud(broker, device); // its session outlives the outage
    await broker.stop();
    const { link, store, logs } = newLink(broker, device, { maxEvents: 5 });
    await link.start();
    const saved = await saveEvents(link, store, 8);
    assert.deepEqual(store.deliveryCounts(), { delivered: 0, undelivered: 5, dropped: 3 });
    assert.equal(link.forwarder.stats().dropped, 3);
    const oldest = saved.slice(0, 3).map((e) => e.id);
    for (const id of oldest) {
      assert.ok(store.deliveryState(id)?.droppedAt, `${id} dropped`);
      assert.ok(logs().includes(id), `${id} logged`);
    }
    assert.deepEqual(store.undelivered(10).map((e) => e.id), saved.slice(3).map((e) => e.id));

    await broker.restart();
    await waitFor(() => remote.unique().length === 5, 20_000, 'the 5 kept events');
    assert.deepEqual(remote.unique(), saved.slice(3).map((e) => e.id));
    assert.equal(remote.duplicates(), 0);
  });
});

describe('outbox across kill -9 of the agent', () => {
  test('events of an agent killed mid-drain are all delivered by the next run (no loss)', async (t: TestContext) => {
    const broker = await startBroker();
    const device = 'gw-kill';
    const remote = await cloud(broker, device);
    const dir = join(root, device);
    const total = 40;
    const child = runAgentChild(broker, device, dir, total);
    cleanups.push(() => void child.kill('SIGKILL'));
    await waitFor(() => remote.unique().length >= 10, 20_000, 'the child to deliver 10 events');
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const receivedBeforeKill = remote.unique().length;

    const { store } = tempStore(root, device); // the same files the child used
    cleanups.push(() => store.close());
    // The kill may land mid-save too: whatever was committed must reach the cloud.
    const ids = store.list({ limit: 1000 }).map((e) => e.id).reverse();
    assert.ok(ids.length >= receivedBeforeKill && ids.length <= total, `${ids.length} saved`);
    const queued = store.countUndelivered();
    assert.ok(queued > 0, 'some events left undelivered by the killed agent');
    for (const id of ids) {
      if (store.deliveryState(id)?.deliveredAt) assert.ok(remote.unique().includes(id), `${id} marked delivered was received`);
    }
    const { link } = newLink(broker, device, {}, store);
    await link.start();
    await waitFor(() => remote.unique().length === ids.length, 30_000, 'all saved events after the restart');
    await waitFor(() => store.countUndelivered() === 0, 10_000, 'all marked delivered');
    assert.deepEqual(remote.unique(), ids, 'save order');
    const dup = remote.duplicates();
    t.diagnostic(
      `kill -9: saved ${ids.length} of ${total} before the kill, received before kill ${receivedBeforeKill}, queued after kill ${queued}, ` +
        `resent ${link.forwarder.stats().sent}, duplicated ${dup}, lost ${ids.length - remote.unique().length}`,
    );
    // A duplicate is possible only for an event received but not yet marked (PUBACK in flight at the kill).
    assert.ok(dup <= OutboxSchema.parse({}).inflight, `duplicates ${dup} bounded by the in-flight window`);
  });
});

/** A whole agent (store + CloudLink) in a child process, saving `count` events as fast as it can. */
function runAgentChild(broker: Mosquitto, device: string, dir: string, count: number) {
  const dist = join(import.meta.dirname, '../..');
  const mod = (p: string): string => JSON.stringify(pathToFileURL(join(dist, p)).href);
  const script = `
    import pino from 'pino';
    const { CloudLink } = await import(${mod('src/outbox/cloud-link.js')});
    const { DeviceSchema, MqttSchema, OutboxSchema } = await import(${mod('src/config/schema.js')});
    const { makeEvent, noiseJpeg, tempStore } = await import(${mod('test/support/mosquitto.js')});
    const { store } = tempStore(${JSON.stringify(join(dir, '..'))}, ${JSON.stringify(device)});
    const config = {
      device: DeviceSchema.parse({ id: ${JSON.stringify(device)} }),
      mqtt: MqttSchema.parse({ url: ${JSON.stringify(broker.url)}, topicPrefix: 'test' }),
      outbox: OutboxSchema.parse({}),
    };
    const link = new CloudLink({ config, store, logger: pino({ level: 'silent' }) });
    await link.start();
    for (let i = 0; i < ${count}; i++) {
      await store.save(makeEvent({ trackId: i, startS: i }), await noiseJpeg());
      link.notify();
    }
    setInterval(() => {}, 1000);`;
  return spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: join(dist, '..'), stdio: ['ignore', 'ignore', 'inherit'] });
}
