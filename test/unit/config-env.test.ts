import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAgentError } from '../../src/core/errors.js';
import { parseConfig } from '../../src/config/load.js';

test('EDGE_AGENT__ variables override config paths, SNAKE_CASE to camelCase, typed by the schema', () => {
  const env = {
    EDGE_AGENT__MQTT__URL: 'mqtts://broker.test:8883',
    EDGE_AGENT__MQTT__PASSWORD_FILE: '/run/secrets/mqtt',
    EDGE_AGENT__MQTT__KEEPALIVE_S: '45',
    EDGE_AGENT__MQTT__REJECT_UNAUTHORIZED: 'false',
    EDGE_AGENT__CAMERAS__0__INPUT: 'rtsp://cam/1',
    UNRELATED: 'x',
  };
  const c = parseConfig({ cameras: [{ name: 'door' }] }, 'f.yaml', env);
  assert.equal(c.mqtt.url, 'mqtts://broker.test:8883');
  assert.equal(c.mqtt.passwordFile, '/run/secrets/mqtt');
  assert.equal(c.mqtt.keepaliveS, 45);
  assert.equal(c.mqtt.rejectUnauthorized, false);
  assert.equal(c.cameras[0]!.input, 'rtsp://cam/1');
  assert.equal(c.cameras[0]!.name, 'door');
});

test('an invalid override is reported naming the variable', () => {
  assert.throws(
    () => parseConfig({}, 'f.yaml', { EDGE_AGENT__MOTION__THRESHOLD: 'loud' }),
    (e: unknown) => isAgentError(e) && e.code === 'CONFIG_INVALID' && /EDGE_AGENT__MOTION__THRESHOLD/.test(e.message) && /motion\.threshold/.test(e.message),
  );
});

test('an override of an unknown key is rejected like a typo in the file', () => {
  assert.throws(
    () => parseConfig({}, 'f.yaml', { EDGE_AGENT__MQTT__PASWORD: 'x' }),
    (e: unknown) => isAgentError(e) && /pasword/.test(e.message),
  );
});

test('without overrides the file is taken as it is', () => {
  const c = parseConfig({ motion: { threshold: 40 } }, 'f.yaml', {});
  assert.equal(c.motion.threshold, 40);
});
