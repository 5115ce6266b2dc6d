import type { BrokerConfigInput } from '../../shared/config/broker-config.ts';

export interface DemoBrokerConfigOptions {
  /** Identity Service gateway (the simulator, or a real one). */
  readonly identityUrl: string;
  /** Canvas host (the simulator, or a real one). */
  readonly canvasUrl: string;
  /** Keys of the local secrets file: `{clientId, clientSecret}` and `{accessToken}`. */
  readonly identitySecretId: string;
  readonly canvasSecretId: string;
  /** Who may use them (as admin too): the local principal. */
  readonly principals: readonly string[];
}

/**
 * The three credentials local mode serves out of the box, one per token kind: `dap` (an Identity
 * Service token for Canvas Data 2), `canvas-jwt` (workflow `ui` fixed by the operator, readable
 * signed-only tokens on request through `canvasAudience`), and `inst-access`.
 */
export const demoBrokerConfig = (options: DemoBrokerConfigOptions): BrokerConfigInput => ({
  credentials: [
    { id: 'dap', kind: 'identity-service', secretId: options.identitySecretId, baseUrl: options.identityUrl },
    {
      id: 'canvas-jwt',
      kind: 'canvas-jwt',
      secretId: options.canvasSecretId,
      baseUrl: options.canvasUrl,
      fixedParams: { workflows: ['ui'] },
      callerParams: { canvasAudience: '*' },
    },
    { id: 'inst-access', kind: 'inst-access', secretId: options.canvasSecretId, baseUrl: options.canvasUrl },
  ],
  callers: [{ principals: [...options.principals], credentials: ['*'], admin: true }],
});
