/** Runs a tool to completion; a failure is a coded error with the tail of its stderr. */
import { spawn } from 'node:child_process';
import { AgentError } from '../core/errors.js';

export function runCapture(cmd: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-2000)));
    child.on('error', (e) => reject(new AgentError('FFMPEG_MISSING', `${cmd} cannot run: ${e.message}`, { hint: 'run scripts/setup.sh' })));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new AgentError('FFMPEG_FAILED', `${cmd} exited ${code}: ${err.trim().split('\n').pop() ?? ''}`))));
  });
}
