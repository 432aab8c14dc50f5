/**
 * The agent's logger: pino, JSON lines on stderr (stdout carries events), with
 * credentials redacted from known secret fields and from any URL in a message.
 */
import pino, { type Logger } from 'pino';
import { redactUrl } from '../video/redact.js';

export type { Logger } from 'pino';

/** Field paths that can hold secrets; pino replaces their values. */
const REDACT = ['password', '*.password', 'mqtt.password', 'token', '*.token', 'authorization', '*.authorization'];

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: REDACT, censor: '***' },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? redactUrl(a) : a)) as Parameters<typeof method>);
        },
      },
    },
    pino.destination({ dest: 2, sync: true }),
  );
}
