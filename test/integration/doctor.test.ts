/** `edge-agent doctor` against a real broker, a dead camera and the real model. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../support/clips.js';
import { Mosquitto } from '../support/mosquitto.js';

function doctor(config: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['dist/src/cli/main.js', 'doctor', '--config', config], { cwd: PROJECT_ROOT, timeout: 60_000 }, (err, stdout) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout });
    });
  });
}

test('doctor reports each check, fails on an unreachable camera, and never prints the password', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'doctor-'));
  const broker = await Mosquitto.start();
  try {
    const cfg = join(dir, 'c.yaml');
    writeFileSync(cfg, `cameras:\n  - name: gate\n    input: rtsp://admin:s3cret@127.0.0.1:9/x\nmqtt:\n  url: ${broker.url}\nstorage: { db: ${join(dir, 'e.db')}, snapshots: ${join(dir, 's')} }\n`);
    const { code, out } = await doctor(cfg);
    assert.equal(code, 1);
    assert.match(out, /^ok {3}ffmpeg: ffmpeg version/m);
    assert.match(out, /^ok {3}model: centernet-coco-int8 .*checksums match/m);
    assert.match(out, /^ok {3}storage: /m);
    assert.match(out, /^FAIL camera gate: error INPUT_UNREACHABLE/m);
    assert.match(out, /^ok {3}mqtt: .*connected \(MQTT 5\)/m);
    assert.doesNotMatch(out, /s3cret/);
    await broker.stop();
    const down = await doctor(cfg);
    assert.match(down.out, /^FAIL mqtt: /m);
  } finally {
    await broker.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});
