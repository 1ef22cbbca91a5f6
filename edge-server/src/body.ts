/**
 * @module edge-server/body — the one way a route reads a request body: never more than its limit
 * in memory, and a refusal the client can read.
 *
 * A body over the limit is answered with a 413 at once, and the rest of it is read and thrown away
 * in the background while the client finishes sending (nginx's "lingering close"): a server that
 * closes a connection with unread bytes in it makes the kernel reset it, and a client still writing
 * then gets a broken pipe, often before it reads the answer. Past `DISCARD_BYTES` or `DISCARD_MS`
 * the connection is cut (a client that sends that much is not careless).
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { readAtMost } from '@aisle/shared-models/util/read-at-most';
import type { Context } from 'hono';
import { ApiError } from './errors';

/** Largest JSON body of the small routes (consent, /v1/me, admin forms). */
export const JSON_BYTES = 64 * 1024;
/** What is read and thrown away after a 413 before the connection is cut. */
const DISCARD_BYTES = 256 * 1024 * 1024;
const DISCARD_MS = 30_000;

const cutOff = () =>
  new ApiError(400, 'request body cut off', [{ path: '', message: 'the client stopped sending it' }]);

const tooLarge = (maxBytes: number) =>
  new ApiError(413, 'request body too large', [{ path: '', message: `at most ${maxBytes} bytes per request` }]);

/** Node's request under `@hono/node-server`, while nobody has read from it; undefined in-process. */
function nodeRequest(c: Context): IncomingMessage | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming && typeof incoming.on === 'function' ? incoming : undefined;
}

/**
 * Reads the rest of `incoming` into nothing, in the background; cuts the connection past the bounds.
 * A connection Node means to close after the answer (the client asked for `Connection: close`) is
 * only half-closed then: the answer and a FIN go out, and the socket is destroyed once the body has
 * ended, so no unread byte turns into a reset while the client is still writing.
 */
function discard(incoming: IncomingMessage, alreadyRead: number) {
  let seen = alreadyRead;
  const socket = incoming.socket as (Socket & { destroySoon?: () => void }) | null;
  const destroySoon = socket?.destroySoon;
  let closing = false;
  if (socket && destroySoon) {
    socket.destroySoon = function lingeringClose() {
      closing = true;
      socket.end();
    };
  }
  const finish = () => {
    clearTimeout(timer);
    if (socket && destroySoon) socket.destroySoon = destroySoon;
    if (closing) socket?.destroy();
  };
  const cut = () => {
    finish();
    socket?.destroy();
  };
  const timer = setTimeout(cut, DISCARD_MS);
  timer.unref();
  incoming.removeAllListeners('data');
  incoming.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > DISCARD_BYTES) cut();
  });
  incoming.once('end', finish);
  incoming.once('close', finish);
  incoming.resume();
}

/** The body from Node's own stream, up to `maxBytes`; a 413 (the rest discarded) past it. */
function readNode(incoming: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      incoming.off('end', onEnd).off('error', onError);
      discard(incoming, size);
      reject(tooLarge(maxBytes));
    };
    const onEnd = () => resolve(new Uint8Array(Buffer.concat(chunks, size)));
    const onError = (error: Error) => reject(error);
    // A client gone before its body ended: nothing to answer, nothing to log as a fault of ours.
    const onClose = () => {
      if (!incoming.complete) reject(cutOff());
    };
    incoming.on('data', onData).once('end', onEnd).once('error', onError).once('close', onClose);
  });
}

/** The body from the request's Web stream (in-process requests), up to `maxBytes`. */
async function readWeb(c: Context, maxBytes: number): Promise<Uint8Array> {
  const reader = c.req.raw.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const body = await readAtMost(reader, maxBytes);
  if (!body) throw tooLarge(maxBytes);
  return body;
}

/**
 * The request body's bytes, at most `maxBytes` of them; a 413 (`{ error, details }`) when the body
 * is larger, announced by its `Content-Length` or found while reading.
 */
export async function readBody(c: Context, maxBytes: number): Promise<Uint8Array> {
  const incoming = nodeRequest(c);
  const declared = c.req.header('Content-Length');
  if (declared !== undefined && Number(declared) > maxBytes) {
    if (incoming && !incoming.readableDidRead && Number(declared) <= DISCARD_BYTES) discard(incoming, 0);
    else c.header('Connection', 'close');
    throw tooLarge(maxBytes);
  }
  try {
    // Framed by its length, the body is at most that: the server's own fast path reads it.
    if (declared !== undefined) return new Uint8Array(await c.req.arrayBuffer());
    return incoming && !incoming.readableDidRead ? await readNode(incoming, maxBytes) : await readWeb(c, maxBytes);
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw cutOff();
  }
}
