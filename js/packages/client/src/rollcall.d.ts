// Types for the Rollcall browser client (rollcall.js). The shape follows OpenTok JS.

export type DestroyReason = 'clientDisconnected' | 'networkDisconnected' | 'forceDisconnected';
export type SessionState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting';

export interface SessionOptions {
  /** WebSocket URL; default: ws(s)://<the server this module was loaded from>/v1/ws. */
  url?: string;
  /** OpenTok's connectionEventsSuppressed: no events about others. */
  connectionEventsSuppressed?: boolean;
}

/** One client's connection to a session. */
export class Connection {
  readonly connectionId: string;
  /** The token's connection data. */
  readonly data: string;
  /** Milliseconds since the Unix epoch, stamped by the server. */
  readonly creationTime: number;
}

/** An error with OpenTok's numeric code, e.g. 1004 OT_AUTHENTICATION_ERROR. */
export class RollcallError extends Error {
  readonly code: number;
  readonly name: string;
  /** The server's hint, with 1023, of how long to wait before trying again. */
  readonly retryAfterMs?: number;
}

export interface RollcallEvent<T extends string = string> {
  readonly type: T;
  readonly target: Session;
  readonly cancelable: false;
  preventDefault(): void;
  isDefaultPrevented(): boolean;
}

export interface ConnectionEvent extends RollcallEvent<'connectionCreated'> {
  readonly connection: Connection;
}

export interface ConnectionDestroyedEvent extends RollcallEvent<'connectionDestroyed'> {
  readonly connection: Connection;
  readonly reason: DestroyReason;
}

export interface SessionConnectEvent extends RollcallEvent<'sessionConnected'> {
  /** The other members at the time of connecting. */
  readonly connections: Connection[];
}

export interface SessionDisconnectEvent extends RollcallEvent<'sessionDisconnected'> {
  readonly reason: DestroyReason;
}

/** An error the server reported while connected, or a refused rejoin. */
export interface ExceptionEvent extends RollcallEvent<'exception'> {
  readonly code: number;
  readonly message: string;
  readonly title: string;
  readonly error: RollcallError;
}

export interface SessionEventMap {
  connectionCreated: ConnectionEvent;
  connectionDestroyed: ConnectionDestroyedEvent;
  sessionConnected: SessionConnectEvent;
  sessionReconnecting: RollcallEvent<'sessionReconnecting'>;
  sessionReconnected: RollcallEvent<'sessionReconnected'>;
  sessionDisconnected: SessionDisconnectEvent;
  exception: ExceptionEvent;
}

export type SessionEventHandlers = {
  [K in keyof SessionEventMap]?: (event: SessionEventMap[K]) => void;
};

export class Session {
  readonly apiKey: string;
  readonly sessionId: string;
  readonly url: string;
  /** The client's own connection while connected, else null. */
  readonly connection: Connection | null;
  readonly currentState: SessionState;
  /** Every known connection, own first; a frozen snapshot replaced on each change. */
  readonly connections: readonly Connection[];
  /** connections.length */
  readonly connectionCount: number;

  constructor(apiKey: string, sessionId: string, options?: SessionOptions);

  /** Joins. The callback gets an error on failure, nothing on success; a connect cancelled by disconnect() calls nothing. */
  connect(token: string, callback?: (error?: RollcallError) => void): this;
  /** Leaves with a close frame: the others see clientDisconnected. */
  disconnect(): void;

  on<K extends keyof SessionEventMap>(type: K, handler: (event: SessionEventMap[K]) => void, context?: object): this;
  on(handlers: SessionEventHandlers, context?: object): this;
  once<K extends keyof SessionEventMap>(type: K, handler: (event: SessionEventMap[K]) => void, context?: object): this;
  once(handlers: SessionEventHandlers, context?: object): this;
  off<K extends keyof SessionEventMap>(type?: K, handler?: (event: SessionEventMap[K]) => void, context?: object): this;
  off(handlers: SessionEventHandlers, context?: object): this;
}

export function initSession(apiKey: string, sessionId: string, options?: SessionOptions): Session;

declare const Rollcall: {
  initSession: typeof initSession;
  Session: typeof Session;
  Connection: typeof Connection;
  RollcallError: typeof RollcallError;
};
export { Rollcall };
export default Rollcall;
