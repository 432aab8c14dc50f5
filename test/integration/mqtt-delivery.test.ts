/**
 * Events, availability and retained state against a real mosquitto, with an
 * mqtt.js subscriber standing in for the cloud.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, afterEach, before, describe, test } from 'node:test';
import { DeviceSchema, MqttSchema, OutboxSchema } from '../../src/config/schema.js';
import type { EventMessage } from '../../src/mqtt/topics.js';
import { CloudLink } from '../../src/outbox/cloud-link.js';
import { Mosquitto, Subscriber, captureLogger, makeEvent, noiseJpeg, tempStore, waitFor } from '../support/mosquitto.js';

const root = mkdtempSync(join(tmpdir(), 'mqtt-delivery-'));
let broker: Mosquitto;
const cleanups: (() => Promise<void> | void)[] = [];

before(async () => {
  broker = await Mosquitto.start();
});
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});
after(async () => {
  await broker?.cleanup();
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
function newLink(mqtt: Record<string, unknown> = {}, statsIntervalS = 60) {
  const device = `gw-${++n}`;
  const { store } = tempStore(root, device);
  const { logger, text } = captureLogger();
  const config = {
    device: DeviceSchema.parse({ id: device }),
    mqtt: MqttSchema.parse({ url: broker.url, topicPrefix: 'test', reconnectInitialS: 0.1, reconnectMaxS: 1, statsIntervalS, ...mqtt }),
    outbox: OutboxSchema.parse({}),
  };
  const link = new CloudLink({ config, store, logger, connection: { connectTimeoutMs: 5000 } });
  cleanups.push(() => store.close(), () => link.stop());
  return { link, store, device, logs: text, base: `test/${device}` };
}

async function subscribe(topics: string[]): Promise<Subscriber> {
  const sub = await Subscriber.connect(broker.url, topics);
  cleanups.push(() => sub.close());
  return sub;
}

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

for (const protocolVersion of [5, 4] as const) {
  describe(`event delivery over MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}`, () => {
    test('a saved event goes out: snapshot bytes first, then the event JSON with every field; the store marks it delivered', async () => {
      const { link, store, device, base } = newLink({ protocolVersion });
      const sub = await subscribe([`${base}/#`]);
      const backlog = await store.save(makeEvent({ camera: 'front', label: 'person', objectLabel: 'person' }), await noiseJpeg());
      await link.start();
      const live = await store.save(makeEvent({ explain: { rule: 'walk' } }), await noiseJpeg());
      link.notify();

      for (const saved of [backlog, live]) {
        const eventMsg = await sub.next((m) => m.topic === `${base}/events` && JSON.parse(m.payload.toString()).id === saved.id, 10_000, `event ${saved.id}`);
        const snapTopic = `${base}/events/${saved.id}/snapshot`;
        const snapIndex = sub.messages.findIndex((m) => m.topic === snapTopic);
        assert.ok(snapIndex >= 0 && snapIndex < sub.messages.indexOf(eventMsg), 'snapshot arrives before the event');
        const file = readFileSync(store.snapshotPath(saved) ?? '');
        const jpeg = sub.messages[snapIndex]?.payload ?? Buffer.alloc(0);
        assert.ok(jpeg.equals(file), 'snapshot bytes are the file');
        const expected: EventMessage = {
          id: saved.id,
          device,
          camera: saved.camera,
          label: saved.label,
          objectLabel: saved.objectLabel,
          score: saved.score,
          start: saved.startedAt,
          end: saved.endedAt,
          start_s: saved.startS,
          end_s: saved.endS,
          box: saved.box,
          snapshot: { topic: snapTopic, bytes: file.length, sha256: sha256(file) },
          modelVersion: saved.modelVersion,
        };
        assert.deepEqual(JSON.parse(eventMsg.payload.toString()), expected);
        assert.equal(sha256(jpeg), expected.snapshot?.sha256);
      }
      await waitFor(() => store.countUndelivered() === 0, 5000, 'both events marked delivered');
      assert.deepEqual(store.deliveryCounts(), { delivered: 2, undelivered: 0, dropped: 0 });
      assert.ok(store.deliveryState(live.id)?.deliveredAt, 'delivered_at set');
      assert.deepEqual(link.forwarder.stats(), { sent: 2, delivered: 2, failed: 0, dropped: 0, backlog: 0, inflight: 0 });
    });

    test("availability is retained 'online' after connect and 'offline' after a clean stop", async () => {
      const { link, base } = newLink({ protocolVersion });
      await link.start();
      await waitFor(() => link.connection.connected, 5000, 'connected');
      const late = await subscribe([`${base}/availability`]);
      const online = await late.next(() => true, 5000, 'retained availability');
      assert.deepEqual([online.payload.toString(), online.retain], ['online', true]);
      await link.stop();
      await late.next((m) => m.payload.toString() === 'offline', 5000, "'offline' on stop");
      const after = await subscribe([`${base}/availability`]);
      const retained = await after.next(() => true, 5000, 'retained availability after stop');
      assert.deepEqual([retained.payload.toString(), retained.retain], ['offline', true]);
    });
  });
}

describe('last will', () => {
  test("the broker publishes the retained last will 'offline' when the agent process is SIGKILLed", async () => {
    const device = `gw-will-${++n}`;
    const base = `test/${device}`;
    const sub = await subscribe([`${base}/availability`]);
    const config = MqttSchema.parse({ url: broker.url, topicPrefix: 'test', keepaliveS: 60 });
    const moduleUrl = pathToFileURL(join(import.meta.dirname, '../../src/mqtt/connection.js')).href;
    const script = `
      import pino from 'pino';
      const { MqttConnection } = await import(${JSON.stringify(moduleUrl)});
      const conn = new MqttConnection({ config: ${JSON.stringify(config)}, deviceId: ${JSON.stringify(device)}, logger: pino({ level: 'silent' }) });
      conn.onConnect(() => process.stdout.write('connected\\n'));
      await conn.start();
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: join(import.meta.dirname, '../../..'), stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => void child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('connected'), 10_000, `the child to connect (output: ${out})`);
    await sub.next((m) => m.payload.toString() === 'online', 5000, "'online'");
    child.kill('SIGKILL');
    const will = await sub.next((m) => m.payload.toString() === 'offline', 10_000, 'the last will');
    assert.equal(will.topic, `${base}/availability`);
    const fresh = await subscribe([`${base}/availability`]);
    const retained = await fresh.next(() => true, 5000, 'retained availability');
    assert.deepEqual([retained.payload.toString(), retained.retain], ['offline', true]);
  });
});

describe('retained camera state and stats', () => {
  test('camera state is retained, kept while disconnected and republished after a broker restart; stats arrive periodically', async () => {
    const { link, base } = newLink({}, 1);
    const sub = await subscribe([`${base}/stats`]);
    link.publishCameraState('front', { state: 'starting' }); // before connect: kept, sent on connect
    await link.start();
    await waitFor(() => link.connection.connected, 5000, 'connected');
    const first = await subscribe([`${base}/cameras/+/state`]);
    const starting = await first.next(() => true, 5000, 'retained state');
    assert.equal(starting.retain, true);
    assert.deepEqual({ ...JSON.parse(starting.payload.toString()), at: 'x' }, { state: 'starting', camera: 'front', at: 'x' });
    link.publishCameraState('front', { state: 'running', fps: 5 });
    await first.next((m) => JSON.parse(m.payload.toString()).state === 'running', 5000, "'running'");

    const stats = JSON.parse((await sub.next(() => true, 5000, 'a stats message')).payload.toString());
    assert.equal(stats.device, base.split('/')[1]);
    assert.equal(stats.mqtt.connected, true);
    assert.deepEqual(Object.keys(stats.outbox).sort(), ['backlog', 'delivered', 'dropped', 'failed', 'sent']);

    await broker.restart(); // no persistence: retained messages are gone with it
    await waitFor(() => link.connection.state().reconnects >= 1, 15_000, 'the agent to reconnect');
    const again = await subscribe([`${base}/cameras/+/state`]);
    const republished = await again.next(() => true, 5000, 'state republished after restart');
    assert.equal(JSON.parse(republished.payload.toString()).state, 'running');
  });
});
