/** A fully read upstream response, with the local times bracketing the exchange. */
export interface UpstreamResponse {
  readonly status: number;
  /** Case-insensitive by construction (a `Headers` object). */
  readonly headers: Headers;
  readonly text: string;
  /** Local clock just before the request was sent. */
  readonly sentAt: number;
  /** Local clock once the whole body was read. */
  readonly receivedAt: number;
}
