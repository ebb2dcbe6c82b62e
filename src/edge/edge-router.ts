/** Injection token of the EdgeRouter the configuration chose. */
export const EDGE_ROUTER = Symbol('EdgeRouter');

/** How one app is reached at the edge. */
export interface EdgeRoute {
  appId: number;
  /** Lower case, punycode; `*.` leads a wildcard (served over HTTP only). */
  domains: string[];
  /** `https+le`: HTTPS with certificates by ACME, HTTP redirected once one is held; `http`: plain HTTP. */
  mode: 'http' | 'https+le';
  /** Names whose certificate the edge holds (issued, unexpired): only these redirect HTTP to HTTPS. */
  secured: string[];
  /** Where the app's port is published; null when the app is stopped (its domains answer 503). */
  upstream: { host: string; port: number } | null;
}

/**
 * The platform's front door: routes each app's domains to its container.
 * apply() converges: it makes the edge serve exactly `routes`, and does nothing
 * when it already does.
 */
export interface EdgeRouter {
  /** Resolves when the edge answers, rejects with the reason otherwise. */
  ping(): Promise<void>;
  /** Makes the edge serve exactly `routes` (unknown hosts get 404); true when something had to change. */
  apply(routes: EdgeRoute[]): Promise<boolean>;
}

/** The edge could not be reached or refused the configuration. */
export class EdgeUnavailableError extends Error {}
