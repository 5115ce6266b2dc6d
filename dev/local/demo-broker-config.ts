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
  /**
   * The simulated Canvas's LTI developer key, when Canvas is the simulator: adds the `lti`
   * credential. (A real Canvas would need a JWKS URL it can reach, which 127.0.0.1 is not.)
   */
  readonly ltiClientId?: string;
}

/** The standard LTI Advantage scopes: Assignment and Grade Services and Names and Role Provisioning. */
export const DEMO_LTI_SCOPES: readonly string[] = [
  'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
  'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly',
  'https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly',
  'https://purl.imsglobal.org/spec/lti-ags/scope/score',
  'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly',
];

/**
 * The three credentials local mode serves out of the box, one per token kind: `dap` (an Identity
 * Service token for Canvas Data 2), `canvas-jwt` (workflow `ui` fixed by the operator, readable
 * signed-only tokens on request through `canvasAudience`), `inst-access`, and (on the simulated
 * Canvas) `lti`: LTI Advantage tokens for any set of the standard AGS and NRPS scopes.
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
    ...(options.ltiClientId === undefined
      ? []
      : [
          {
            id: 'lti',
            kind: 'lti-advantage' as const,
            baseUrl: options.canvasUrl,
            lti: { clientId: options.ltiClientId, scopes: [...DEMO_LTI_SCOPES] },
          },
        ]),
  ],
  callers: [{ principals: [...options.principals], credentials: ['*'], admin: true }],
});
