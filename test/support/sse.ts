/** A server-sent events client over fetch, as a CLI or a dashboard's backend would read a stream. */
export interface SseEvent {
  event: string;
  id?: string;
  data: any;
}

export interface SseClient {
  status: number;
  headers: Headers;
  /** The body of a refused stream (an error). */
  body?: any;
  events: SseEvent[];
  /** Comment lines seen (heartbeats). */
  comments: number;
  /** Resolves when the server ends the stream (or it is closed). */
  ended: Promise<void>;
  /** Waits until `predicate` holds for the events so far. */
  until(predicate: (events: SseEvent[]) => boolean, ms?: number): Promise<SseEvent[]>;
  /** Stops reading the answer (as a slow client does: what the server sends waits unread) until `resume`. */
  pause(): void;
  resume(): void;
  /** Whether the server ended the stream (or it was closed), and how. */
  end: string | null;
  close(): void;
}

/** Events in short, for a failure's message: how many, and the last few with long texts cut. */
export function summary(events: SseEvent[]): string {
  const short = events.slice(-5).map((e) => `${e.event}${e.id ? `#${e.id}` : ''} ${JSON.stringify(e.data).slice(0, 120)}`);
  return `${events.length} events, the last: ${short.join(' | ')}`;
}

/** Opens a stream, again every 100 ms while the company is at its stream limit (429), for up to `ms`. */
export async function openSseWhenFree(url: string, token: string, ms: number): Promise<SseClient> {
  const until = Date.now() + ms;
  let stream = await openSse(url, token);
  while (stream.status === 429 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    stream = await openSse(url, token);
  }
  return stream;
}

export async function openSse(url: string, token: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const abort = new AbortController();
  // No token: a stream ticket in the URL stands for it, as from a browser's EventSource.
  const authorization: Record<string, string> = token ? { authorization: `Token ${token}` } : {};
  const response = await fetch(url, { headers: { ...authorization, accept: 'text/event-stream', ...headers }, signal: abort.signal });
  // Set while paused: the reader waits on it before taking the next chunk.
  let gate: Promise<void> | null = null;
  let open = () => {};
  const client: SseClient = {
    status: response.status,
    headers: response.headers,
    events: [],
    comments: 0,
    ended: Promise.resolve(),
    until: async (predicate, ms = 30_000) => {
      const end = Date.now() + ms;
      while (!predicate(client.events)) {
        if (Date.now() > end) throw new Error(`the stream did not get there within ${ms} ms (ended: ${client.end}); ${summary(client.events)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return client.events;
    },
    pause: () => {
      gate ??= new Promise((resolve) => (open = resolve));
    },
    resume: () => {
      open();
      gate = null;
    },
    end: null,
    close: () => abort.abort(),
  };
  if (response.status !== 200 || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
    const text = await response.text();
    client.body = text ? JSON.parse(text) : undefined;
    return client;
  }
  client.ended = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        if (gate) await gate;
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: Partial<SseEvent> & { dataLines: string[] } = { dataLines: [] };
          for (const line of frame.split('\n')) {
            if (line.startsWith(':')) client.comments += 1;
            else if (line.startsWith('event: ')) event.event = line.slice(7);
            else if (line.startsWith('id: ')) event.id = line.slice(4);
            else if (line.startsWith('data: ')) event.dataLines.push(line.slice(6));
          }
          if (event.event) client.events.push({ event: event.event, id: event.id, data: JSON.parse(event.dataLines.join('\n')) });
        }
      }
      client.end = 'by the server';
    } catch (err) {
      // Closed by this side, or the connection broken.
      client.end = abort.signal.aborted ? 'closed here' : `broken: ${(err as Error).message}`;
    }
  })();
  return client;
}
