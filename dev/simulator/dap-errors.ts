import { randomUUID } from 'node:crypto';
import type { HeaderMap, Reply } from './reply.ts';

/** Fatal account states a DAP client must not retry (contract section 1). */
export type DapAccountState = 'AccountDisabled' | 'AccountNotOnboarded' | 'AccountUnderMaintenance';

/** DAP's error envelope: `{"error":{"type","uuid","message"}}`, a fresh uuid per error. */
export const replyDapError = (
  reply: Reply,
  status: number,
  type: string,
  message: string,
  headers?: HeaderMap,
): void => reply.json(status, { error: { type, uuid: randomUUID(), message } }, headers);

export const DAP_ERROR_TYPES: Readonly<Record<number, string>> = {
  400: 'ValidationError',
  401: 'AuthenticationError',
  403: 'AccountDisabled',
  404: 'NotFound',
  413: 'PayloadTooLarge',
  429: 'TooManyRequests',
  500: 'ServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};
