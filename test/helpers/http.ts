/**
 * @module test/helpers/http — requests a well-behaved `fetch` will not make: exact bytes, an
 * announced length, the whole body written before a byte of the answer is read (as many simple
 * clients do, and the ones that fail with a broken pipe when the server closes early).
 */
import { get as httpGet } from 'node:http';
import { connect } from 'node:net';

export type RawAnswer =
  | {
      status: number;
      headers: Record<string, string>;
      json: { error?: string; details?: { path: string; message: string }[] } & Record<string, unknown>;
    }
  | { status: 0; error: string };

/** POSTs `body` to `url` over a fresh connection; the answer, or the socket's error code. */
export function rawPost(url: string, body: Buffer, headers: Record<string, string | number> = {}): Promise<RawAnswer> {
  const { hostname, port, pathname, search } = new URL(url);
  const head = {
    Host: `${hostname}:${port}`,
    'Content-Type': 'application/json',
    'Content-Length': body.length,
    Connection: 'close',
    ...headers,
  };
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        `POST ${pathname}${search} HTTP/1.1\r\n${Object.entries(head)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('')}\r\n`,
      );
      socket.write(body);
    });
    const chunks: Buffer[] = [];
    let failed: string | undefined;
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      failed = e.code ?? e.message;
    });
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      if (failed || split < 0) return resolve({ status: 0, error: failed ?? `no answer: ${text.slice(0, 80)}` });
      const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
      const headers = Object.fromEntries(
        lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      );
      let payload = text.slice(split + 4);
      if (headers['transfer-encoding'] === 'chunked') payload = unchunk(payload);
      let json: Extract<RawAnswer, { json: unknown }>['json'];
      try {
        json = JSON.parse(payload);
      } catch {
        json = { error: `not JSON: ${payload.slice(0, 80)}` };
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, json });
    });
  });
}

function unchunk(payload: string): string {
  let out = '';
  for (let at = 0; ; ) {
    const eol = payload.indexOf('\r\n', at);
    const size = Number.parseInt(payload.slice(at, eol), 16);
    if (!size) return out;
    out += payload.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

/** GETs `url` asking for `acceptEncoding`, without decoding: the status, the headers and the bytes as sent. */
export function rawGet(
  url: string,
  acceptEncoding: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { headers: { 'Accept-Encoding': acceptEncoding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}
