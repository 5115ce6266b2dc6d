import type { CredentialConfig } from '../../shared/core/credential.ts';

/**
 * The three credentials, one per token kind, that tests and benchmarks run against the Instructure
 * simulator. Secret ids match the secrets files the fleet harnesses write from the simulator's seeds.
 */
export const simulatorCredentials = (simulatorUrl: string): CredentialConfig[] => [
  {
    id: 'dap',
    kind: 'identity-service',
    secretId: 'dap-secret',
    baseUrl: simulatorUrl,
    fixedParams: {},
    callerParams: {},
  },
  {
    id: 'canvas-jwt',
    kind: 'canvas-jwt',
    secretId: 'canvas-secret',
    baseUrl: simulatorUrl,
    fixedParams: { workflows: ['ui'] },
    callerParams: { canvasAudience: '*' },
  },
  {
    id: 'inst-access',
    kind: 'inst-access',
    secretId: 'canvas-secret',
    baseUrl: simulatorUrl,
    fixedParams: {},
    callerParams: {},
  },
];
