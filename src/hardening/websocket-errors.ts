import type { WebSocketServer, WebSocket } from 'ws';
import type { Logger } from '../logger';

/**
 * How often, at most, refused WebSocket messages are logged: one line per interval, counting those
 * refused since the last line.
 */
export const WS_REFUSAL_LOG_INTERVAL_MS = 60_000;

/**
 * Socket errors through the app's logger instead of graphql-ws' console.error.
 *
 * graphql-ws (use/ws) logs every 'error' a socket emits with console.error, and ws emits one for
 * each message it refuses: larger than maxPayload (close 1009), invalid UTF-8, a bad frame. Those
 * are the client's doing and cost the client nothing, so anyone could fill the log with them. ws
 * has already closed such a socket with the matching close code when it emits the error; what is
 * left is to count it: one warn line per interval (`refused`: how many since the last line, by
 * `code`), each refusal itself at debug. Any other socket error is the server's: logged at error
 * and the socket closed with 1011, as graphql-ws did.
 *
 * Register after useServer: graphql-ws adds its own listener on 'connection', and this one, run
 * after it, replaces it.
 */
export function logWebSocketErrors(wsServer: WebSocketServer, logger: Logger, opts: { intervalMs?: number; now?: () => number } = {}): void {
  const intervalMs = opts.intervalMs ?? WS_REFUSAL_LOG_INTERVAL_MS;
  const now = opts.now ?? Date.now;
  let lastLine = -Infinity;
  let refused: Record<string, number> = {};
  const refusal = (code: string, err: Error) => {
    refused[code] = (refused[code] ?? 0) + 1;
    logger.debug({ code, message: err.message }, 'websocket message refused');
    const t = now();
    if (t - lastLine < intervalMs) return;
    lastLine = t;
    logger.warn({ refused, intervalMs }, 'websocket messages refused (oversized or malformed); the sockets were closed');
    refused = {};
  };
  wsServer.on('connection', (socket: WebSocket) => {
    socket.removeAllListeners('error');
    socket.on('error', (err: Error & { code?: string }) => {
      if (typeof err?.code === 'string' && err.code.startsWith('WS_ERR_')) return refusal(err.code, err);
      logger.error({ err }, 'websocket socket error');
      socket.close(1011, 'Internal server error');
    });
  });
}
