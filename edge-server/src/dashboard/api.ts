/** @module dashboard/api — the admin API with the signed-in token; errors carry the server's JSON message. */

const TOKEN = 'aisle.dashboard.token';

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN),
  set: (value: string) => sessionStorage.setItem(TOKEN, value),
  clear: () => sessionStorage.removeItem(TOKEN),
};

async function request(method: string, path: string, body?: unknown): Promise<Response> {
  const res = await fetch(path, {
    method,
    headers: {
      Authorization: `Bearer ${token.get() ?? ''}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const json = (await res.json()) as { error?: string; details?: { path: string; message: string }[] };
      message = [json.error, ...(json.details ?? []).map((d) => d.message)].filter(Boolean).join(': ');
    } catch {
      // not JSON: the status says enough
    }
    throw new ApiFailure(res.status, message);
  }
  return res;
}

export const api = {
  get: async <T>(path: string): Promise<T> => (await request('GET', path)).json() as Promise<T>,
  send: async <T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> =>
    (await request(method, path, body)).json() as Promise<T>,
  /** The response body as a file the browser saves. */
  async download(path: string, filename: string) {
    const blob = await (await request('GET', path)).blob();
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = filename;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  },
};

/** `path?site=…&…` with the values encoded. */
export function q(path: string, params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') search.set(k, String(v));
  return `${path}?${search}`;
}
