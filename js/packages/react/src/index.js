// React bindings for the Rollcall browser client, in the shape of opentok-react:
//
//   <OTSession apiKey={k} sessionId={s} token={t}
//              eventHandlers={{ connectionCreated: e => ..., connectionDestroyed: e => ... }}>
//     <Roster />   // function Roster() { const connections = useConnections(); ... }
//   </OTSession>
//
// Written without JSX so that it runs as is, in Node's test runner and in any bundler.
import { createContext, createElement, useCallback, useContext, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { initSession } from '@rollcall/client';

const EVENT_TYPES = ['connectionCreated', 'connectionDestroyed', 'sessionConnected', 'sessionReconnecting',
  'sessionReconnected', 'sessionDisconnected', 'exception'];
const ROSTER_EVENTS = ['connectionCreated', 'connectionDestroyed', 'sessionConnected', 'sessionDisconnected'];
const NO_CONNECTIONS = Object.freeze([]);

const SessionContext = createContext(null);

/**
 * Connects while mounted, disconnects (clientDisconnected) when unmounted or when apiKey,
 * sessionId, token or options.url change. `eventHandlers` may change on every render without
 * reconnecting. Under StrictMode the first, discarded mount's connect is cancelled before its
 * socket opens: no error, and the others never see it.
 */
export function OTSession({ apiKey, sessionId, token, options, eventHandlers, onConnect, onError, children }) {
  const [session, setSession] = useState(null);
  const latest = useRef();
  latest.current = { eventHandlers, onConnect, onError };
  const url = options?.url;
  const suppressed = options?.connectionEventsSuppressed;

  useEffect(() => {
    const created = initSession(apiKey, sessionId, { url, connectionEventsSuppressed: suppressed });
    for (const type of EVENT_TYPES) {
      created.on(type, event => latest.current.eventHandlers?.[type]?.(event));
    }
    created.connect(token, error => {
      if (error) latest.current.onError?.(error);
      else latest.current.onConnect?.(created);
    });
    setSession(created);
    return () => {
      created.off();
      created.disconnect();
    };
  }, [apiKey, sessionId, token, url, suppressed]);

  return createElement(SessionContext.Provider, { value: session }, children);
}

/** The Session of the nearest OTSession, or null before its first effect ran. */
export function useSession() {
  return useContext(SessionContext);
}

/**
 * The live roster: every connection the session knows, own first, as an immutable array that
 * changes identity only when the roster changes. Empty while not connected.
 */
export function useConnections(session = null) {
  const context = useContext(SessionContext);
  const target = session || context;
  const subscribe = useCallback(onChange => {
    if (!target) return () => {};
    for (const type of ROSTER_EVENTS) target.on(type, onChange);
    return () => {
      for (const type of ROSTER_EVENTS) target.off(type, onChange);
    };
  }, [target]);
  const snapshot = () => target?.connections ?? NO_CONNECTIONS;
  return useSyncExternalStore(subscribe, snapshot, snapshot);
}
