/**
 * The gateway's identity on the broker: the device id in every topic, and the
 * stable client id its persistent session is keyed by.
 */
import { hostname } from 'node:os';
import type { z } from 'zod';
import type { DeviceSchema, MqttConfig } from '../config/schema.js';

type DeviceConfig = z.infer<typeof DeviceSchema>;

/** Same rule as DeviceSchema.id. */
const DEVICE_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * The configured device id, else the host name made to fit the id rule
 * (other characters become '-', at most 64), else 'gateway'.
 */
export function resolveDeviceId(device: DeviceConfig, host: string = hostname()): string {
  if (device.id !== undefined) return device.id;
  const cleaned = host.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64);
  return DEVICE_ID.test(cleaned) ? cleaned : 'gateway';
}

/**
 * Stable across restarts (the broker keys the persistent session by it), so
 * never random: two agents with one client id take the session from each other.
 */
export function resolveClientId(mqtt: Pick<MqttConfig, 'clientId'>, deviceId: string): string {
  return mqtt.clientId ?? `edge-agent-${deviceId}`;
}
