/**
 * @module shared-models/util/read-at-most — a body read from a Web stream in chunks and given up on
 * past a size, however it was sent (a length that lies, or none, or a compressed body that grows):
 * the edge reads requests this way and the tag reads the edge's answers.
 */

/** The part of a Web stream's reader this needs (the same in browsers, workers and Node). */
export interface ChunkReader {
  read(): Promise<{ done: boolean; value?: Uint8Array }>;
  cancel(): Promise<unknown>;
}

/** The chunks joined; undefined once they pass `max` bytes (the reader is then cancelled: nothing more is read). */
export async function readAtMost(reader: ChunkReader, max: number): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done || !value) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}
