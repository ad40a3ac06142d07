import { request } from 'node:http';

export interface StreamEvent {
  id: string;
  event: string;
  data: {
    id: string;
    type: string;
    title: string;
    body: string;
    createdAt: string;
    readAt: null | string;
  };
}

/**
 * A plain HTTP client reading `text/event-stream` on a real port, parsing frames as they
 * arrive: no EventSource library, so the test sees exactly what a proxy or browser would.
 */
export async function openStream(
  baseUrl: string,
  token: string,
  headers: Record<string, string> = {},
) {
  const events: StreamEvent[] = [];
  let comments: string[] = [];
  let buffer = '';
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of waiters) waiter();
  };

  const req = request(`${baseUrl}/api/v1/notifications/stream`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...headers },
  });
  const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    req.on('response', resolve);
    req.on('error', reject);
    req.end();
  });
  let ended = false;
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    buffer += chunk;
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end < 0) break;
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields: Record<string, string> = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) comments.push(line.slice(1).trim());
        else {
          const colon = line.indexOf(':');
          if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
        }
      }
      if (fields.data !== undefined)
        events.push({
          id: fields.id ?? '',
          event: fields.event ?? 'message',
          data: JSON.parse(fields.data),
        });
    }
    notify();
  });
  response.on('end', () => {
    ended = true;
    notify();
  });
  response.on('error', () => {});

  return {
    status: response.statusCode,
    headers: response.headers,
    events,
    get comments() {
      return comments;
    },
    get ended() {
      return ended;
    },
    resetComments() {
      comments = [];
    },
    /** Resolves once `check` holds, or rejects after `timeoutMs`. */
    until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
      if (check()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`stream: timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        const waiter = () => {
          if (!check()) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve();
        };
        waiters.add(waiter);
      });
    },
    close() {
      req.destroy();
      response.destroy();
    },
  };
}
