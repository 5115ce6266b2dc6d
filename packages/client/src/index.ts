/**
 * The broker's client library (the `@canvas-credential-broker/client` package): one call for a
 * caller to get a token, signed with its own AWS identity.
 *
 * @module @canvas-credential-broker/client
 */

// Every code a broker error body can carry: the core's and the HTTP edge's.
export type { AnswerCode as ErrorCode } from '../../../shared/core/answer-code.ts';
export type { Clock } from '../../../shared/core/clock.ts';
export {
  BrokerClientError,
  type BrokerClientErrorCode,
  type BrokerClientErrorOptions,
} from './broker-client-error.ts';
export {
  type AwsCredentials,
  type AwsCredentialsProvider,
  type BrokerClient,
  type BrokerClientOptions,
  type BrokerToken,
  type GetTokenOptions,
  makeBrokerClient,
  type ReportRejectedOptions,
} from './make-broker-client.ts';
