import { describe, expect, it } from 'vitest';
import { ENV } from '../../shared/config/env-names.ts';
import { loadRotationEnvironment } from '../../shared/runtime/load-rotation-environment.ts';

const VALID = {
  AWS_REGION: 'us-east-1',
  [ENV.canvasBaseUrl]: 'https://canvas.example.edu/',
  [ENV.rotationTokenExpiryDays]: '90',
};

describe('the rotation function environment', () => {
  it('is read once into typed settings, with service name and log level defaulted', () => {
    expect(loadRotationEnvironment(VALID)).toEqual({
      region: 'us-east-1',
      canvasBaseUrl: 'https://canvas.example.edu',
      tokenExpiryDays: 90,
      rotateEveryDays: undefined,
      serviceName: 'canvas-credential-broker',
      metricsNamespace: 'CanvasCredentialBroker',
      logLevel: 'INFO',
    });
  });

  it('reads the schedule interval the construct passes, and refuses one that is not whole days', () => {
    expect(loadRotationEnvironment({ ...VALID, [ENV.rotationRotateEveryDays]: '30' }).rotateEveryDays).toBe(
      30,
    );
    expect(() => loadRotationEnvironment({ ...VALID, [ENV.rotationRotateEveryDays]: '1.5' })).toThrow(
      ENV.rotationRotateEveryDays,
    );
  });

  it('allows plain http only for a loopback simulator', () => {
    expect(
      loadRotationEnvironment({ ...VALID, [ENV.canvasBaseUrl]: 'http://127.0.0.1:8080' }).canvasBaseUrl,
    ).toBe('http://127.0.0.1:8080');
  });

  it.each([
    ['no region', { AWS_REGION: undefined }, 'AWS_REGION'],
    ['no Canvas URL', { [ENV.canvasBaseUrl]: '' }, ENV.canvasBaseUrl],
    ['a Canvas URL that is not a URL', { [ENV.canvasBaseUrl]: 'canvas' }, ENV.canvasBaseUrl],
    [
      'plain http to a remote Canvas',
      { [ENV.canvasBaseUrl]: 'http://canvas.example.edu' },
      ENV.canvasBaseUrl,
    ],
    [
      'a Canvas URL with credentials',
      { [ENV.canvasBaseUrl]: 'https://u:p@canvas.example.edu' },
      ENV.canvasBaseUrl,
    ],
    ['no expiry', { [ENV.rotationTokenExpiryDays]: undefined }, ENV.rotationTokenExpiryDays],
    ['a zero expiry', { [ENV.rotationTokenExpiryDays]: '0' }, ENV.rotationTokenExpiryDays],
    ['a fractional expiry', { [ENV.rotationTokenExpiryDays]: '1.5' }, ENV.rotationTokenExpiryDays],
    ['an expiry beyond ten years', { [ENV.rotationTokenExpiryDays]: '3651' }, ENV.rotationTokenExpiryDays],
    ['an unknown log level', { [ENV.logLevel]: 'chatty' }, ENV.logLevel],
  ])(
    'fails the cold start with CONFIG_INVALID naming the variable when there is %s',
    (_label, change, variable) => {
      let caught: unknown;
      try {
        loadRotationEnvironment({ ...VALID, ...change });
      } catch (error) {
        caught = error;
      }
      expect(caught).toMatchObject({ code: 'CONFIG_INVALID', details: { variable } });
    },
  );
});
