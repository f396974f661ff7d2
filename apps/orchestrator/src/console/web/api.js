// REST and socket access for the console; the token travels as a bearer header and as the socket's auth.
import { io } from '/socket.io/socket.io.esm.min.js';

const KEY = 'hakken.token';

export const session = {
  get token() {
    return sessionStorage.getItem(KEY);
  },
  set token(value) {
    if (value) sessionStorage.setItem(KEY, value);
    else sessionStorage.removeItem(KEY);
  },
};

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code;
    this.problems = body?.error?.problems ?? [];
  }
}

/** JSON request to the REST API with the session's token. */
export async function api(method, path, body, token = session.token) {
  const res = await fetch(path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

/**
 * The live socket: `onEvent(name, payload)` for every pushed event,
 * `onState('connected' | 'disconnected' | 'refused', detail)`.
 */
export function connect(token, onEvent, onState) {
  const socket = io({ auth: { token }, transports: ['websocket'] });
  socket.on('connect', () => onState('connected'));
  socket.on('disconnect', (reason) => onState('disconnected', reason));
  socket.on('connect_error', (err) => onState(err?.data?.code === 'unauthenticated' ? 'refused' : 'disconnected', err.message));
  socket.onAny((event, payload) => onEvent(event, payload));
  return {
    /** Sends a command; resolves with its data or rejects with the error reply. */
    command(name, request) {
      return socket
        .timeout(15000)
        .emitWithAck(name, request)
        .then((reply) => {
          if (reply.status === 'ok') return reply.data;
          const e = new Error(reply.error.message);
          e.code = reply.error.code;
          e.problems = reply.error.problems;
          throw e;
        });
    },
    close: () => socket.close(),
  };
}
