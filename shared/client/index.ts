/**
 * The broker's client library (`canvas-credential-broker/client`): one call for a caller to get a
 * token, signed with its own AWS identity.
 */
export { BrokerClientError, type BrokerClientErrorCode } from './broker-client-error.ts';
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
