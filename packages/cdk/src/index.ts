/**
 * The canvas-credential-broker as one AWS CDK construct: `new CredentialBroker(stack, 'Broker', props)`
 * deploys the token table and keys, the functions (their bundles ship prebuilt in this package), the
 * IAM-authenticated REST API, pre-warm, optional Canvas token rotation, alarms and a dashboard.
 *
 * @module @canvas-credential-broker/cdk
 */

export type { BrokerConfigInput, SettingName } from '../../../shared/config/broker-config.ts';
export type { FUNCTION_ENTRIES } from '../../../shared/config/env-names.ts';
export type { BrokerSettings } from '../../../shared/core/broker-settings.ts';
export type {
  CallerParamRules,
  NormalizedParams,
  ParamName,
  TokenKind,
} from '../../../shared/core/credential.ts';
export { CredentialBroker } from './credential-broker.ts';
export {
  type BrokerCredential,
  type CanvasTokenRotation,
  type CredentialBrokerProps,
  ROTATION_DEFAULTS,
} from './credential-broker-props.ts';
