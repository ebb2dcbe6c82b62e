/** A thin fetch wrapper: every test talks to Berth over real HTTP. */
export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export interface RequestOptions {
  token?: string;
  /** Full Authorization header value; overrides `token`. */
  authorization?: string;
  body?: unknown;
  /** Sent as-is, no JSON encoding. */
  rawBody?: string;
  headers?: Record<string, string>;
}

/** `server`, when the test started it, tells a failing helper what state the server is in. */
export function client(base: string, server?: { describe(): string }) {
  async function call<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<Answer<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.authorization) headers.authorization = options.authorization;
    else if (options.token) headers.authorization = `Token ${options.token}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${base}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, body: parsed as T, headers: response.headers, text };
  }
  return {
    get: <T = any>(path: string, options?: RequestOptions) => call<T>('GET', path, options),
    post: <T = any>(path: string, options?: RequestOptions) => call<T>('POST', path, options),
    put: <T = any>(path: string, options?: RequestOptions) => call<T>('PUT', path, options),
    patch: <T = any>(path: string, options?: RequestOptions) => call<T>('PATCH', path, options),
    delete: <T = any>(path: string, options?: RequestOptions) => call<T>('DELETE', path, options),
    call,
    server,
  };
}
export type Client = ReturnType<typeof client>;

let counter = 0;
/** Registers a fresh account; returns its token, default company and account. */
export async function register(api: Client, name = 'Tester') {
  const email = `user${Date.now()}${counter++}${Math.floor(Math.random() * 1e6)}@example.test`;
  const answer = await api.post('/auth/register/', { body: { email, password: 'correct horse battery', name } });
  if (answer.status !== 200) throw new Error(`register failed: ${answer.status} ${answer.text}`);
  return { email, password: 'correct horse battery', token: answer.body.token as string, company: answer.body.company, account: answer.body.account };
}

/** Creates an app with the default runtime on the company's first plan; its id and its operation's. */
export async function postApp(api: Client, who: { token: string; company: { id: number } }, name: string): Promise<{ id: number; operation_id: number }> {
  const plans = (await api.get(`/${who.company.id}/plans/`, { token: who.token })).body;
  const created = await api.post(`/${who.company.id}/apps/`, { token: who.token, body: { name, image: 'berth/runtime:2026.11-1', plan: plans[0].id } });
  if (created.status !== 200) throw new Error(`creating app ${name}: ${created.status} ${created.text}`);
  return created.body;
}

/** Follows an operation until it is finished, as a client would. */
export async function waitForOperation(api: Client, token: string, companyId: number, operationId: number, ms = 60_000) {
  const until = Date.now() + ms;
  for (;;) {
    const answer = await api.get(`/${companyId}/operations/${operationId}/`, { token });
    if (answer.status !== 200) throw new Error(`operation ${operationId}: ${answer.status} ${answer.text}`);
    if (answer.body.status === 'success' || answer.body.status === 'error') return answer.body;
    if (Date.now() > until) throw new Error(`operation ${operationId} still ${answer.body.status} after ${ms} ms: ${answer.body.message}${api.server ? `\n${api.server.describe()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
