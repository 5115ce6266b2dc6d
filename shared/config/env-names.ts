/**
 * Environment variable names shared by the runtime and infra/: the construct sets each of these
 * together with the grant it implies, and the functions read them once at cold start.
 */
export const ENV = {
  /** DynamoDB table holding tokens, leases, failure memory and mint history. */
  tableName: 'BROKER_TABLE_NAME',
  /** KMS key (ARN) used for envelope encryption of stored tokens. */
  envelopeKeyArn: 'BROKER_ENVELOPE_KEY_ARN',
  /** JSON BrokerConfig: credentials, caller policy and settings (see shared/config/broker-config.ts). */
  config: 'BROKER_CONFIG',
  /**
   * token-api only: the REST API id and stage whose events it answers. Set by the construct
   * together with the API Gateway integration and its invoke permission; any other event (a direct
   * `lambda:InvokeFunction` with a forged `requestContext`) is refused.
   */
  apiId: 'BROKER_API_ID',
  apiStage: 'BROKER_API_STAGE',
  /** Rotation function: Canvas base URL of the rotated token, and days until the new token expires. */
  canvasBaseUrl: 'BROKER_CANVAS_BASE_URL',
  rotationTokenExpiryDays: 'BROKER_ROTATION_TOKEN_EXPIRY_DAYS',
  /** Rotation function: the schedule's interval in days, to report a token that expires before the next rotation. */
  rotationRotateEveryDays: 'BROKER_ROTATION_ROTATE_EVERY_DAYS',
  /**
   * Asymmetric KMS key (RSA, SIGN_VERIFY) that signs LTI Advantage client assertions; required when
   * any credential is of kind lti-advantage. Set by the construct with `kms:Sign` and `kms:GetPublicKey`.
   */
  ltiSigningKeyArn: 'BROKER_LTI_SIGNING_KEY_ARN',
  /** jwks only: comma-separated ARNs of keys still published during a rotation overlap (never used to sign). */
  ltiPreviousSigningKeyArns: 'BROKER_LTI_PREVIOUS_SIGNING_KEY_ARNS',
  /** jwks only: Cache-Control max-age of the JWKS, in whole seconds (default 300). */
  jwksMaxAgeSeconds: 'BROKER_JWKS_MAX_AGE_SECONDS',
  /** Powertools. */
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
} as const;

export const METRICS_NAMESPACE = 'CanvasCredentialBroker';
export const SERVICE_NAME = 'canvas-credential-broker';

/** Lambda entry files under functions/, by function name (infra bundles exactly these). */
export const FUNCTION_ENTRIES = {
  tokenApi: 'functions/token-api.ts',
  tokenInvoke: 'functions/token-invoke.ts',
  prewarm: 'functions/prewarm.ts',
  rotateCanvasToken: 'functions/rotate-canvas-token.ts',
  jwks: 'functions/jwks.ts',
} as const;
