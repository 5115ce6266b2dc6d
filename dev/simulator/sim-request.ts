import type { IncomingHttpHeaders } from 'node:http';
import type { AuthenticatedCanvas } from './canvas-auth.ts';
import type { Reply } from './reply.ts';
import type { ParamObject } from './request-params.ts';
import type { SimState } from './sim-state.ts';

/** A parsed request as handlers see it. */
export interface SimRequest {
  readonly method: string;
  readonly path: string;
  /** The raw query string, without `?`. */
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  /** `host:port` as the client addressed it: Canvas puts it in the `domain` claim. */
  readonly host: string;
  readonly origin: string;
  readonly routeParams: Readonly<Record<string, string>>;
  /** Query and body params merged (query wins), Rails-style. */
  readonly params: ParamObject;
  readonly body: Buffer;
  readonly contentType: string | undefined;
  /** Adds throttle units to this request's cost (InstAccess minting costs 200 extra). */
  charge(units: number): void;
}

export type Handler = (req: SimRequest, reply: Reply, state: SimState) => Promise<void> | void;
export type CanvasHandler = (
  req: SimRequest,
  auth: AuthenticatedCanvas,
  reply: Reply,
  state: SimState,
) => Promise<void> | void;
