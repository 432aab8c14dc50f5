/** The supervisor's camera status as published on the retained MQTT state topic. */
import type { CameraStatus } from '../camera/status.js';
import type { CameraStatus as CloudCameraStatus } from '../mqtt/topics.js';

const STATE: Record<CameraStatus['state'], CloudCameraStatus['state']> = {
  starting: 'starting',
  streaming: 'running',
  backoff: 'restarting',
  stopped: 'stopped',
};

export function toCloudStatus(s: CameraStatus): CloudCameraStatus {
  const state = s.state === 'backoff' && s.lastError?.code === 'INPUT_UNREACHABLE' && s.stalls > 0 ? 'stalled' : STATE[s.state];
  return {
    state,
    fps: Math.round(s.fpsIn * 10) / 10,
    restarts: s.reconnects,
    ...(s.lastError ? { error: { code: s.lastError.code, message: s.lastError.message } } : {}),
  };
}
