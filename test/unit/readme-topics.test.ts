import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../support/clips.js';
import { topicsTable } from '../../src/mqtt/topics.js';

test('the README documents exactly the topics the agent publishes', () => {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  assert.ok(readme.includes(topicsTable().trim()), 'README topic table is out of date: paste topicsTable() into it');
});
