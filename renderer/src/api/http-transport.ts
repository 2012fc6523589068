import type { CallReply, Transport } from './api-client.ts';

type Listener = (payload: unknown) => void;

/**
 * The serve transport: calls are `POST /api/call` (JSON, same origin; the session cookie set by the first page
 * load carries the token), events come over the WebSocket `/api/events`, reopened after a drop.
 * Byte arrays arrive as `{ "$bytes": base64 }` (main/serve/wire-format.ts) and are decoded here.
 */
export function createHttpTransport(): Transport {
  const listeners = new Map<string, Set<Listener>>();
  connectEvents(listeners, 500);
  return {
    async call(method, params) {
      const response = await fetch('/api/call', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        credentials: 'same-origin',
        body: JSON.stringify({ method, params }),
      });
      if (!response.ok) {
        return {
          ok: false,
          error: { kind: 'operational', retryable: false, message: (await response.text()).trim() || `HTTP ${response.status}` },
        };
      }
      return JSON.parse(await response.text(), decodeBytes) as CallReply;
    },
    on(event, listener) {
      const set = listeners.get(event) ?? new Set<Listener>();
      listeners.set(event, set);
      set.add(listener);
      return () => set.delete(listener);
    },
  };
}

function connectEvents(listeners: Map<string, Set<Listener>>, retryMs: number, isReconnect = false): void {
  const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/events`);
  socket.addEventListener('open', () => {
    retryMs = 500;
    document.documentElement.dataset.events = 'connected';
    // Events sent while the stream was down are lost: tell the views to reload their state.
    if (isReconnect) for (const listener of listeners.get('connection.restored') ?? []) listener(null);
  });
  socket.addEventListener('message', (message) => {
    const { event, payload } = JSON.parse(String(message.data), decodeBytes) as { event: string; payload: unknown };
    for (const listener of listeners.get(event) ?? []) listener(payload);
  });
  socket.addEventListener('close', () => {
    document.documentElement.dataset.events = 'disconnected';
    setTimeout(() => connectEvents(listeners, Math.min(retryMs * 2, 10_000), true), retryMs);
  });
}

function decodeBytes(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && typeof (value as { $bytes?: unknown }).$bytes === 'string') {
    const binary = atob((value as { $bytes: string }).$bytes);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }
  return value;
}
