/**
 * Credentials, TLS and broker refusals against a real mosquitto: coded
 * states an operator can act on, and secrets that never reach the log.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { DeviceSchema, MqttSchema, OutboxSchema } from '../../src/config/schema.js';
import { AgentError } from '../../src/core/errors.js';
import { CloudLink } from '../../src/outbox/cloud-link.js';
import { Mosquitto, Subscriber, captureLogger, makeEvent, noiseJpeg, sleep, tempStore, waitFor } from '../support/mosquitto.js';

const root = mkdtempSync(join(tmpdir(), 'mqtt-security-'));
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});
after(() => rmSync(root, { recursive: true, force: true }));

const PASSWORD = 'correct-horse-battery-1';
const WRONG = 'wrong-staple-9';

async function startBroker(opts: Parameters<typeof Mosquitto.start>[0]): Promise<Mosquitto> {
  const broker = await Mosquitto.start(opts);
  cleanups.push(() => broker.cleanup());
  return broker;
}

let n = 0;
function newLink(mqtt: Record<string, unknown>, forwarder: { retryInitialMs?: number } = {}) {
  const device = `gw-${++n}`;
  const { store } = tempStore(root, device);
  const { logger, text } = captureLogger();
  const config = {
    device: DeviceSchema.parse({ id: device }),
    mqtt: MqttSchema.parse({ topicPrefix: 'test', reconnectInitialS: 0.1, reconnectMaxS: 0.5, ...mqtt }),
    outbox: OutboxSchema.parse({}),
  };
  const link = new CloudLink({ config, store, logger, connection: { connectTimeoutMs: 5000 }, forwarder });
  cleanups.push(() => store.close(), () => link.stop());
  return { link, store, logs: text, device };
}

function secretFile(name: string, content: string): string {
  const path = join(root, name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

describe('credentials', () => {
  test('a wrong password is BROKER_REFUSED with the CONNACK reason, retried with backoff, and never logged', async () => {
    const broker = await startBroker({ users: { agent: PASSWORD } });
    for (const protocolVersion of [5, 4] as const) {
      const viaFile = newLink({ url: broker.url, protocolVersion, username: 'agent', passwordFile: secretFile(`wrong-${protocolVersion}`, `${WRONG}\n`) });
      const urlHost = broker.url.replace('mqtt://', '');
      const viaUrl = newLink({ url: `mqtt://agent:${WRONG}-url@${urlHost}`, protocolVersion });
      for (const { link, logs } of [viaFile, viaUrl]) {
        await link.start();
        await waitFor(() => link.connection.state().failures >= 3, 10_000, 'three refused attempts');
        const s = link.connection.state();
        assert.equal(s.connected, false);
        assert.equal(s.lastError?.code, 'BROKER_REFUSED', JSON.stringify(s.lastError));
        // mosquitto 2.0 answers a bad password with 'not authorized' (5 in 3.1.1, 0x87 in MQTT 5).
        assert.match(s.lastError?.message ?? '', protocolVersion === 5 ? /Not authorized \(0x87\)|Bad User Name or Password \(0x86\)/ : /\(0x0[45]\)/);
        assert.match(s.lastError?.hint ?? '', /password/, 'the hint points at the credentials');
        assert.ok(s.recentDelaysMs[1] !== undefined && s.recentDelaysMs[1] > (s.recentDelaysMs[0] ?? 0) * 1.2, `backing off: ${s.recentDelaysMs.join(', ')}`);
        await link.stop();
        const text = logs();
        assert.match(text, /BROKER_REFUSED/);
        assert.ok(!text.includes(WRONG), `the password must not appear in the log:\n${text}`);
        assert.ok(!JSON.stringify(s).includes(WRONG), 'nor in the state');
      }
    }
  });

  test('the right password from passwordFile (first line, trimmed) connects and delivers', async () => {
    const broker = await startBroker({ users: { agent: PASSWORD, cloud: 'cloud-pw' } });
    const sub = await Subscriber.connect(broker.url, ['test/#'], { username: 'cloud', password: 'cloud-pw' });
    cleanups.push(() => sub.close());
    const { link, store, logs } = newLink({ url: broker.url, username: 'agent', passwordFile: secretFile('right', `  ${PASSWORD}  \nsecond line ignored\n`) });
    await link.start();
    const saved = await store.save(makeEvent(), null);
    link.notify();
    await sub.next((m) => m.topic.endsWith('/events') && m.payload.includes(saved.id), 10_000, 'the event');
    assert.ok(!logs().includes(PASSWORD));
  });

  test('an unreadable passwordFile or CA file fails start() with CONFIG_INVALID naming the file', async () => {
    for (const [key, name] of [['passwordFile', 'no-such-password'], ['ca', 'no-such-ca.pem']] as const) {
      const path = join(root, name);
      const { link } = newLink({ url: 'mqtts://127.0.0.1:1', [key]: path });
      await assert.rejects(link.start(), (e: unknown) => {
        assert.ok(e instanceof AgentError, String(e));
        assert.equal(e.code, 'CONFIG_INVALID');
        assert.ok(e.message.includes(path) && e.message.includes(`mqtt.${key}`), e.message);
        assert.match(e.message, /ENOENT/);
        return true;
      });
      assert.equal(link.connection.state().attempts, 0, 'no connection attempted');
    }
  });
});

describe('TLS', () => {
  test('mqtts with the generated CA connects and delivers; without the CA it fails with BROKER_TLS_FAILED', async () => {
    const broker = await startBroker({ tls: true });
    const sub = await Subscriber.connect(broker.url, ['test/#'], { ca: readFileSync(broker.caFile ?? '') });
    cleanups.push(() => sub.close());

    const good = newLink({ url: broker.url, ca: broker.caFile });
    await good.link.start();
    const saved = await good.store.save(makeEvent(), await noiseJpeg());
    good.link.notify();
    await sub.next((m) => m.topic.endsWith('/events') && m.payload.includes(saved.id), 10_000, 'the event over TLS');
    assert.equal(good.link.connection.state().lastError, null);

    const bad = newLink({ url: broker.url, rejectUnauthorized: true });
    await bad.link.start();
    await waitFor(() => bad.link.connection.state().lastError !== null, 10_000, 'the TLS failure');
    const s = bad.link.connection.state();
    assert.equal(s.connected, false);
    assert.equal(s.lastError?.code, 'BROKER_TLS_FAILED');
    assert.match(s.lastError?.message ?? '', /TLS handshake with the broker failed: .*(self[- ]signed|unable to verify|certificate)/i);
    assert.match(s.lastError?.hint ?? '', /mqtt\.ca/);
    assert.match(bad.logs(), /BROKER_TLS_FAILED/);
  });
});

describe('broker rejects a publish (MQTT 5 PUBACK reason >= 0x80)', () => {
  test('the event stays queued with the reason code recorded and logged, retried with backoff', async () => {
    const device = `gw-${n + 1}`; // the device id newLink will pick
    const acl = ['user agent', `topic write test/${device}/availability`, `topic write test/${device}/events/+/snapshot`].join('\n') + '\n';
    const broker = await startBroker({ users: { agent: PASSWORD }, acl });
    const { link, store, logs } = newLink(
      { url: broker.url, username: 'agent', passwordFile: secretFile('acl-pw', PASSWORD), protocolVersion: 5 },
      { retryInitialMs: 200 },
    );
    assert.equal(link.deviceId, device);
    await link.start();
    const saved = await store.save(makeEvent(), await noiseJpeg());
    link.notify();
    await waitFor(() => (store.deliveryState(saved.id)?.attempts ?? 0) >= 1, 10_000, 'a rejected attempt');
    await sleep(1500);
    const state = store.deliveryState(saved.id);
    assert.equal(state?.deliveredAt, null);
    assert.match(state?.lastError ?? '', /PUBLISH_REJECTED.*Not authorized \(0x87\)/);
    // 200, 400, 800 ms (±20 %) between tries: a handful in 1.5 s, not a tight loop.
    assert.ok((state?.attempts ?? 0) >= 2 && (state?.attempts ?? 0) <= 5, `attempts ${state?.attempts}`);
    assert.equal(store.countUndelivered(), 1);
    assert.match(logs(), /"reasonCode":135/);
    assert.equal(link.connection.connected, true, 'a rejected publish does not drop the connection');
  });
});
