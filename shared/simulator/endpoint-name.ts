/** The upstream endpoints the simulator counts calls to and can inject faults into. */
export type EndpointName = 'ids-login' | 'jwts' | 'jwts-refresh' | 'inst-access' | 'tokens' | 'dap-tables';

export const ENDPOINT_NAMES: readonly EndpointName[] = [
  'ids-login',
  'jwts',
  'jwts-refresh',
  'inst-access',
  'tokens',
  'dap-tables',
];

export const isEndpointName = (value: unknown): value is EndpointName =>
  typeof value === 'string' && (ENDPOINT_NAMES as readonly string[]).includes(value);
