import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveClientId, resolveDeviceId } from '../../src/mqtt/identity.js';
import { TOPICS, Topics, topicsTable, type TopicKey } from '../../src/mqtt/topics.js';

const EXPECTED: Record<TopicKey, { args: string[]; topic: string }> = {
  availability: { args: [], topic: 'site/gw-1/availability' },
  events: { args: [], topic: 'site/gw-1/events' },
  snapshot: { args: ['e1'], topic: 'site/gw-1/events/e1/snapshot' },
  cameraState: { args: ['front'], topic: 'site/gw-1/cameras/front/state' },
  stats: { args: [], topic: 'site/gw-1/stats' },
};

describe('topic builders', () => {
  const topics = new Topics('site', 'gw-1');

  test('every declared topic has a builder, and every builder is declared and tested here', () => {
    const declared = Object.keys(TOPICS).sort();
    const builders = Object.getOwnPropertyNames(Topics.prototype).filter((n) => n !== 'constructor' && n !== 'message').sort();
    assert.deepEqual(builders, declared);
    assert.deepEqual(Object.keys(EXPECTED).sort(), declared);
  });

  test('builds each topic under <prefix>/<device>/', () => {
    for (const key of Object.keys(TOPICS) as TopicKey[]) {
      const build = topics[key] as (...a: string[]) => string;
      assert.equal(build.apply(topics, EXPECTED[key].args), EXPECTED[key].topic, key);
    }
  });

  test('message() takes QoS and retain from the declaration and encodes the payload', () => {
    const online = topics.message('availability', 'online');
    assert.deepEqual(online, { topic: 'site/gw-1/availability', payload: 'online', qos: 1, retain: true });
    const jpeg = topics.message('snapshot', new Uint8Array([0xff, 0xd8]), 'e1');
    assert.ok(Buffer.isBuffer(jpeg.payload));
    assert.deepEqual([...(jpeg.payload as Buffer)], [0xff, 0xd8]);
    assert.equal(jpeg.qos, 1);
    assert.equal(jpeg.retain, false);
    const stats = topics.message('stats', {
      device: 'gw-1',
      at: '2024-05-01T00:00:00.000Z',
      uptimeS: 5,
      mqtt: { connected: true, reconnects: 0, lastError: null },
      outbox: { sent: 1, delivered: 1, failed: 0, dropped: 0, backlog: 0 },
    });
    assert.equal(stats.qos, 0);
    assert.equal(JSON.parse(stats.payload as string).uptimeS, 5);
    const state = topics.message('cameraState', { camera: 'front', at: 'now', state: 'running' }, 'front');
    assert.deepEqual([state.topic, state.qos, state.retain], ['site/gw-1/cameras/front/state', 1, true]);
  });

  test('a trailing slash on the prefix does not double the separator', () => {
    assert.equal(new Topics('a/b/', 'gw').events(), 'a/b/gw/events');
  });

  test('names that would change the topic structure are refused', () => {
    for (const bad of ['a/b', 'a+', '#', '']) {
      assert.throws(() => topics.cameraState(bad), RangeError, JSON.stringify(bad));
      assert.throws(() => topics.snapshot(bad), RangeError, JSON.stringify(bad));
    }
    assert.throws(() => new Topics('x/#', 'gw'), RangeError);
    assert.throws(() => new Topics('x', 'g/w'), RangeError);
  });
});

describe('topicsTable', () => {
  test('lists every topic with its QoS and retain flag, with placeholders', () => {
    const table = topicsTable();
    const rows = table.trim().split('\n');
    assert.equal(rows.length, 2 + Object.keys(TOPICS).length);
    for (const t of [
      '<prefix>/<device>/availability',
      '<prefix>/<device>/events',
      '<prefix>/<device>/events/<id>/snapshot',
      '<prefix>/<device>/cameras/<camera>/state',
      '<prefix>/<device>/stats',
    ]) {
      assert.ok(rows.some((r) => r.startsWith(`| \`${t}\` |`)), `${t} in\n${table}`);
    }
    assert.ok(rows.some((r) => r.startsWith('| `<prefix>/<device>/availability` | 1 | yes |')));
    assert.ok(rows.some((r) => r.startsWith('| `<prefix>/<device>/stats` | 0 | no |')));
  });
});

describe('identity', () => {
  test('device id: configured, else the host name made to fit, else gateway', () => {
    assert.equal(resolveDeviceId({ id: 'gw-7' }, 'ignored'), 'gw-7');
    assert.equal(resolveDeviceId({}, 'cam gateway #2'), 'cam-gateway--2');
    assert.equal(resolveDeviceId({}, 'x'.repeat(80)).length, 64);
    assert.equal(resolveDeviceId({}, ''), 'gateway');
  });

  test('client id: configured, else stable from the device id', () => {
    assert.equal(resolveClientId({ clientId: 'mine' }, 'gw'), 'mine');
    assert.equal(resolveClientId({}, 'gw'), 'edge-agent-gw');
  });
});
