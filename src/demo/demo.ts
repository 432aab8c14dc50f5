/**
 * `edge-agent run` with no config: the whole daemon on this machine alone.
 * A camera made from real walkway footage (served by a loopback GStreamer RTSP
 * server when Debian's python3-gi + GstRtspServer are installed, else read
 * from the file in real time, looping), an embedded MQTT broker (aedes) on a
 * loopback port, and a subscriber that prints each confirmed event as it
 * arrives over MQTT — the same path the cloud would see.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { parseConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { AgentError } from '../core/errors.js';
import { runCapture } from './process.js';

export interface Demo {
  readonly config: Config;
  readonly camera: string;
  stop(): Promise<void>;
}

export async function startDemo(root: string, print: (line: string) => void): Promise<Demo> {
  const footage = join(root, '.cache/footage/vtest.avi');
  if (!existsSync(footage)) {
    throw new AgentError('INPUT_NOT_FOUND', `demo footage ${footage} is missing`, { hint: 'run bash scripts/fetch-footage.sh' });
  }
  const dir = join(root, '.cache/demo');
  mkdirSync(dir, { recursive: true });
  const clip = await h264Copy(footage, join(dir, 'walkway.mp4'));
  const rtsp = await startRtsp(root, clip);
  const input = rtsp?.url ?? clip;
  print(rtsp ? `demo: camera "walkway" is rtsp served on loopback: ${rtsp.url}` : `demo: no GStreamer RTSP server installed; camera "walkway" reads ${clip} in real time`);
  const broker = await startBroker();
  const url = `mqtt://127.0.0.1:${broker.port}`;
  print(`demo: embedded MQTT broker on ${url}; events are printed as they arrive on edge-agent/demo/events`);
  const config = parseConfig(
    {
      device: { id: 'demo' },
      cameras: [{ name: 'walkway', input, detect: { fps: 5 } }],
      // aedes speaks MQTT 3.1.1 only; a real deployment keeps the default, MQTT 5.
      mqtt: { url, protocolVersion: 4, statsIntervalS: 30 },
      storage: { db: join(dir, 'events.db'), snapshots: join(dir, 'snapshots') },
    },
    'demo',
  );
  const sub = await subscribe(url, print);
  return {
    config,
    camera: 'walkway',
    async stop() {
      await sub.endAsync();
      await broker.close();
      rtsp?.stop();
    },
  };
}

/** The RTSP factory wants H.264 in MP4; the footage is MPEG-4 part 2 in AVI. Converted once. */
async function h264Copy(src: string, dst: string): Promise<string> {
  if (existsSync(dst)) return dst;
  const tmp = `${dst}.tmp.mp4`;
  await runCapture('ffmpeg', ['-v', 'error', '-y', '-i', src, '-an', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '20', '-pix_fmt', 'yuv420p', tmp]);
  renameSync(tmp, dst);
  return dst;
}

async function startRtsp(root: string, clip: string): Promise<{ url: string; stop(): void } | null> {
  const script = join(root, 'scripts/rtsp_server.py');
  const python = '/usr/bin/python3';
  if (!existsSync(script) || !existsSync(python)) return null;
  const child: ChildProcess = spawn(python, [script, '--port', '0', '--mount', `walkway=${clip}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  const port = await new Promise<number | null>((resolve) => {
    let out = '';
    const timer = setTimeout(() => resolve(null), 10_000);
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /READY (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', () => resolve(null));
  });
  if (port === null) {
    child.kill('SIGKILL');
    return null;
  }
  return { url: `rtsp://127.0.0.1:${port}/walkway`, stop: () => child.kill('SIGTERM') };
}

async function startBroker(): Promise<{ port: number; close(): Promise<void> }> {
  const aedes = await Aedes.createBroker();
  const server = createServer(aedes.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => aedes.close(() => resolve()));
      }),
  };
}

async function subscribe(url: string, print: (line: string) => void): Promise<mqtt.MqttClient> {
  const client = await mqtt.connectAsync(url, { clientId: 'demo-viewer', reconnectPeriod: 1000 });
  await client.subscribeAsync('edge-agent/demo/events', { qos: 1 });
  client.on('message', (_topic, payload) => {
    const e = JSON.parse(payload.toString()) as { camera: string; label: string; score: number; start_s?: number; end_s?: number; start: string; snapshot: { topic: string } | null };
    print(`EVENT over MQTT: ${e.label} on ${e.camera}, score ${e.score.toFixed(2)}, ${e.start}${e.snapshot ? `, snapshot on ${e.snapshot.topic}` : ''}`);
  });
  return client;
}
