import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Node's HTTP server parses every pipelined request it has read and hands each to the app at once;
 * their answers wait in memory, in order, for the client to read them. A client that pipelines
 * predicts and never reads makes the server compute them all and keep every answer (issue 29:
 * +254 to +301 MB over 8 connections). Here a connection runs one request at a time: the next one
 * starts once the previous answer has left for the kernel and the socket's unsent output is under its
 * high-water mark (16 KiB), and while requests wait the socket is not read. A connection's unsent
 * bytes are so at most one answer plus that mark. An answer that does not leave within
 * SEND_TIMEOUT_MS (a client that stopped reading) closes the connection.
 */

/** Node's own pause flag and parser on a server socket: set together, as its http server does. */
type HttpSocket = Socket & { _paused?: boolean; parser?: { pause(): void; resume(): void } | null };

interface Turns {
  running: boolean;
  /** Waiting for 'drain' before the next request. */
  draining: boolean;
  queue: Array<() => void>;
  /** The answer handed to the socket and not yet sent, watched by `timer`. */
  unsent: ServerResponse | undefined;
  timer: NodeJS.Timeout | undefined;
}

const turns = new WeakMap<Socket, Turns>();

/** Stops reading the socket (Node pauses its parser after the chunk in progress, and keeps it paused). */
function pauseReading(socket: HttpSocket): void {
  if (socket._paused) return;
  socket._paused = true;
  socket.pause();
}

/** As Node's socketOnDrain resumes a socket it paused. */
function resumeReading(socket: HttpSocket): void {
  if (!socket._paused) return;
  socket._paused = false;
  socket.parser?.resume();
  socket.resume();
}

function turnsOf(socket: Socket): Turns {
  let t = turns.get(socket);
  if (!t) {
    const state: Turns = { running: false, draining: false, queue: [], unsent: undefined, timer: undefined };
    socket.once('close', () => {
      clearTimeout(state.timer);
      state.queue.length = 0; // Node aborts these requests; their handlers never run
    });
    turns.set(socket, state);
    t = state;
  }
  return t;
}

function next(socket: HttpSocket, t: Turns): void {
  if (t.running || t.draining || socket.destroyed) return;
  if (socket.writableNeedDrain) {
    t.draining = true;
    socket.once('drain', () => {
      t.draining = false;
      next(socket, t);
    });
    return;
  }
  const run = t.queue.shift();
  // The last waiting request may still be receiving its body: read on (more requests queue and pause it again).
  if (t.queue.length === 0) resumeReading(socket);
  run?.();
}

function start(socket: HttpSocket, t: Turns, res: ServerResponse, sendTimeoutMs: number, handle: () => void): void {
  t.running = true;
  // 'prefinish': the whole answer is handed to the socket; 'finish' follows once it has left for the kernel.
  res.once('prefinish', () => {
    if (res.writableFinished) return;
    t.unsent = res;
    if (t.timer) t.timer.refresh();
    else {
      t.timer = setTimeout(() => {
        if (t.unsent && !t.unsent.writableFinished) socket.destroy();
      }, sendTimeoutMs);
      t.timer.unref();
    }
  });
  // 'close' comes after 'finish', or when the connection goes away first.
  res.once('close', () => {
    t.running = false;
    t.unsent = undefined;
    next(socket, t);
  });
  handle();
}

/** Runs `handle` for `req` when it is its connection's turn (at once when the connection is idle). */
export function inTurn(req: IncomingMessage, res: ServerResponse, sendTimeoutMs: number, handle: () => void): void {
  // req.socket: a pipelined request's response is not attached to the socket until its turn.
  const socket = req.socket as HttpSocket | null;
  if (!socket) return handle();
  const t = turnsOf(socket);
  if (!t.running && !t.draining && t.queue.length === 0 && !socket.writableNeedDrain)
    return start(socket, t, res, sendTimeoutMs, handle);
  t.queue.push(() => start(socket, t, res, sendTimeoutMs, handle));
  pauseReading(socket);
  next(socket, t);
}
