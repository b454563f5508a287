import type { RequestHandler } from 'msw';
import type { ErrorBody } from '../faults/fault.js';
import type { HandlerContext } from './context.js';

/** A mock upstream service: msw handlers plus the state they share. */
export interface UpstreamModel {
  readonly handlers: RequestHandler[];
  /**
   * Built-in models only: the same logic as `handlers`, callable without msw.
   * The loopback server asks it first; a request it does not claim goes to
   * `handlers`. Custom upstreams (users' own msw handlers) have none.
   */
  readonly fast?: FastRoutes;
  /** How the faults' error answers are worded on this upstream (default: `{"error": message}`). */
  readonly errorBody?: ErrorBody;
  /** Forget everything: each case starts from a fresh upstream. */
  reset(): void;
  readonly traits: UpstreamTraits;
}

export interface UpstreamTraits {
  /** Does a repeated Idempotency-Key come back without a new effect? */
  deduplicates: boolean;
  /** Can a client look up what it created (by a client reference or key)? */
  lookup: boolean;
  /** What one effect is called: "charge", "email". */
  noun: string;
  ignoreFields: string[];
  /**
   * An upstream of several routes (`routes:` in the scenario): each route's
   * own traits. A request is judged by the route that served it (see
   * `traitsFor`); the fields above hold for requests no route serves.
   */
  routes?: readonly RouteTraits[];
}

/** One route of a multi-route upstream: its path and what its model is like. */
export interface RouteTraits {
  path: string;
  traits: UpstreamTraits;
}

/** What a built-in model's logic tells the harness about a request (the handler context, passed in). */
export type ModelContext = Pick<HandlerContext, 'commit' | 'replayed' | 'rejected'> & { unchanged(): void };

/** A built-in model's answer: what its msw handler gives `HttpResponse.json`. */
export interface ModelAnswer {
  status: number;
  json: unknown;
  headers?: Record<string, string>;
}

/** A request as the loopback server read it: no WHATWG objects. */
export interface FastRequest {
  /** The body as UTF-8 text ('' for none). */
  text: string;
  /** Node's lower-case header record. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  url: URL;
}

export type FastHandler = (request: FastRequest, context: ModelContext) => ModelAnswer;

export interface FastRoutes {
  /**
   * The handler for this request, or undefined to leave it to msw. Claims
   * only requests whose msw answer it is sure to give (see `plainRoutes`).
   */
  route(method: string, pathname: string): FastHandler | undefined;
}
