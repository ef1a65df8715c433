import type { Socket } from 'node:net';
import { deserialize, serialize } from 'node:v8';
import type { QueryResult } from './pglite-gate.ts';

/**
 * How a command talks to the app that owns a PGlite directory, over a unix socket in the data
 * directory. Frames are a 4-byte length and a V8-serialised message, which keeps Dates, Buffers
 * and bigints as they are on both sides.
 *
 *   client                       app
 *   hello {token}         →      welcome {pid} | refused {message}
 *   acquire               →      ready                      (its turn on the one session)
 *   query {sql, params}   →      result | error             (repeated)
 *   (closes the socket)          rolls back what it left open, ends the turn
 */
export type ClientMessage =
  | { t: 'hello'; token: string; pid: number; label: string }
  | { t: 'acquire' }
  | { t: 'query'; sql: string; params: unknown[] };

export type ServerMessage =
  | { t: 'welcome'; pid: number }
  | { t: 'refused'; message: string }
  | { t: 'ready' }
  | { t: 'result'; result: QueryResult }
  | { t: 'error'; error: WireError };

/** A database error's message and fields (code, detail, constraint...). */
export type WireError = { message: string } & Record<string, unknown>;

/** Before hello is accepted, a frame larger than this is not a dealrisk client. */
export const MAX_HELLO_BYTES = 4096;

export function send(socket: Socket, message: ClientMessage | ServerMessage): void {
  const body = serialize(message);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  socket.write(Buffer.concat([head, body]));
}

/** Calls `handle` with each whole message; `limit` bounds the next frame (it may change as the conversation goes on). */
export function onMessages<M>(socket: Socket, handle: (message: M) => void, limit: () => number = () => Infinity): void {
  let chunks: Buffer[] = [];
  let buffered = 0;
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    buffered += chunk.length;
    while (buffered >= 4) {
      if (chunks[0]!.length < 4) chunks = [Buffer.concat(chunks)];
      const length = chunks[0]!.readUInt32BE(0);
      if (length > limit()) {
        socket.destroy(new Error(`a frame of ${length} bytes is more than this conversation allows`));
        return;
      }
      // A large result arrives in many chunks: join them once, when the whole frame is here.
      if (buffered < 4 + length) return;
      const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const rest = all.subarray(4 + length);
      chunks = rest.length ? [rest] : [];
      buffered = rest.length;
      let message: M;
      try {
        message = deserialize(all.subarray(4, 4 + length)) as M;
      } catch (e) {
        socket.destroy(new Error('a frame that is not a message', { cause: e }));
        return;
      }
      handle(message);
    }
  });
}

export function toWireError(e: unknown): WireError {
  if (!(e instanceof Error)) return { message: String(e) };
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) fields[k] = v;
  return { ...fields, name: e.name, message: e.message };
}

export function fromWireError(w: WireError): Error {
  const { message, ...fields } = w;
  return Object.assign(new Error(message), fields);
}
