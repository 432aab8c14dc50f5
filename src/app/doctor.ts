/**
 * `edge-agent doctor`: what an installer runs after configuring a gateway.
 * Each check says ok or what is wrong and what to do; nothing is changed.
 * Checks: ffmpeg, the model (manifest + checksums), storage writable, every
 * camera reachable (probed), the broker (one connection attempt).
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import type { Config } from '../config/schema.js';
import { isAgentError } from '../core/errors.js';
import { loadManifest } from '../detector/manifest.js';
import { clientSettings } from '../mqtt/client-options.js';
import { resolveClientId, resolveDeviceId } from '../mqtt/identity.js';
import { probeInput } from '../video/probe.js';
import { redactUrl } from '../video/redact.js';

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

const run = promisify(execFile);

export async function doctor(config: Config, root: string): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const check = async (name: string, fn: () => Promise<string> | string): Promise<void> => {
    try {
      results.push({ name, ok: true, detail: await fn() });
    } catch (e) {
      results.push({ name, ok: false, detail: isAgentError(e) ? e.oneLine() : redactUrl((e as Error).message) });
    }
  };
  await check('ffmpeg', async () => (await run('ffmpeg', ['-hide_banner', '-version'])).stdout.split('\n')[0] ?? 'found');
  await check('model', () => {
    const { manifest } = loadManifest(resolve(root, config.detector.model));
    return `${manifest.name} ${manifest.version} (${manifest.format}, ${manifest.input.width}x${manifest.input.height}), checksums match`;
  });
  await check('storage', () => writable([resolve(root, config.storage.db), resolve(root, config.storage.snapshots, 'x')]));
  for (const cam of config.cameras) {
    await check(`camera ${cam.name}`, async () => {
      if (!cam.input) return 'no input configured (analyze gives one on the command line)';
      const p = await probeInput(cam.input, { rtspTransport: cam.rtspTransport });
      return `${redactUrl(cam.input)}: ${p.codec} ${p.width}x${p.height}${p.fps ? ` at ${p.fps} fps` : ''}`;
    });
  }
  await check('mqtt', () => broker(config));
  return results;
}

function writable(paths: string[]): string {
  for (const p of paths) {
    mkdirSync(dirname(p), { recursive: true });
    accessSync(dirname(p), constants.W_OK);
  }
  return paths.map((p) => dirname(p)).join(', ') + ' writable';
}

async function broker(config: Config): Promise<string> {
  if (!config.mqtt.url) return 'no mqtt.url: local only (events stay on this gateway)';
  const deviceId = resolveDeviceId(config.device);
  const settings = await clientSettings({
    config: config.mqtt,
    // Its own client id and a clean session: the agent's persistent session is left alone.
    clientId: `${resolveClientId(config.mqtt, deviceId)}-doctor`,
    willTopic: `${config.mqtt.topicPrefix}/${deviceId}/doctor`,
    connectTimeoutMs: 10_000,
    sessionExpiryS: 0,
  });
  const client = await mqtt.connectAsync(settings.url, { ...settings.options, clean: true, reconnectPeriod: 0 }, false);
  await client.endAsync();
  return `${redactUrl(config.mqtt.url)}: connected (MQTT ${config.mqtt.protocolVersion === 5 ? '5' : '3.1.1'})`;
}
