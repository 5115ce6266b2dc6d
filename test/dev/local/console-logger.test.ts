import { describe, expect, it } from 'vitest';
import { makeConsoleLogger } from '../../../dev/local/console-logger.ts';
import { CredentialsRejectedError } from '../../../shared/core/errors.ts';

const capture = (level?: 'debug' | 'info' | 'warn' | 'error') => {
  const lines: string[] = [];
  const logger = makeConsoleLogger({
    write: (line) => lines.push(line),
    level,
    now: () => Date.UTC(2025, 0, 1),
  });
  return { lines, logger };
};

describe('makeConsoleLogger', () => {
  it('writes one line per entry: time, level, message and JSON fields', () => {
    const { lines, logger } = capture();
    logger.info('token served', { credentialId: 'dap', fingerprint: '0123456789abcdef' });
    logger.warn('no fields');
    expect(lines).toEqual([
      '2025-01-01T00:00:00.000Z INFO  token served {"credentialId":"dap","fingerprint":"0123456789abcdef"}',
      '2025-01-01T00:00:00.000Z WARN  no fields',
    ]);
  });

  it('drops entries below its level', () => {
    const { lines, logger } = capture('warn');
    logger.debug('a');
    logger.info('b');
    logger.error('c');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('ERROR c');
  });

  it('logs errors the way the Lambda logger does: codes and ids, other messages sanitized', () => {
    const { lines, logger } = capture();
    logger.error('failed', {
      broker: new CredentialsRejectedError('Upstream rejected the credentials of dap.', {
        upstreamStatus: 401,
      }),
      vendor: new Error('request failed: Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789'),
    });
    expect(lines[0]).toContain('"code":"UPSTREAM_CREDENTIALS_REJECTED"');
    expect(lines[0]).toContain('"upstreamStatus":401');
    expect(lines[0]).not.toContain('abcdefghijklmnopqrstuvwxyz0123456789');
  });
});
