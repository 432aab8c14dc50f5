import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { redactUrl } from '../../src/video/redact.js';

describe('redactUrl', () => {
  it('replaces user:pass@ in a URL', () => {
    assert.equal(redactUrl('rtsp://admin:hunter2@10.0.0.5:554/stream1'), 'rtsp://***:***@10.0.0.5:554/stream1');
  });

  it('redacts every URL inside a longer string', () => {
    const line = 'rtsp://a:b@cam1/x: 401 Unauthorized; retry http://c:d@cam2/y';
    assert.equal(redactUrl(line), 'rtsp://***:***@cam1/x: 401 Unauthorized; retry http://***:***@cam2/y');
  });

  it('covers a password that contains an unescaped @ or :', () => {
    assert.equal(redactUrl('rtsp://admin:p@ss:w0rd@cam/live'), 'rtsp://***:***@cam/live');
  });

  it('redacts password-like query parameters', () => {
    assert.equal(
      redactUrl('rtsp://cam/cam/realmonitor?user=admin&password=s3cret&channel=1'),
      'rtsp://cam/cam/realmonitor?user=admin&password=***&channel=1',
    );
    assert.equal(redactUrl('http://cam/snap.cgi?pwd=x1&token=abc'), 'http://cam/snap.cgi?pwd=***&token=***');
  });

  it('leaves URLs without a password, and plain text, unchanged', () => {
    for (const s of ['rtsp://10.0.0.5:554/stream1', 'rtsp://viewer@cam/x', '/var/footage/a@b.mp4', 'no urls here']) {
      assert.equal(redactUrl(s), s);
    }
  });

  it('does not let an @ in the path pull the host into the userinfo', () => {
    assert.equal(redactUrl('rtsp://cam:554/path@x'), 'rtsp://cam:554/path@x');
  });
});
