import type { ReactNode, ReactElement } from 'react';
import type { Connection, RollcallError, Session, SessionEventHandlers, SessionOptions } from '@rollcall/client';

export interface OTSessionProps {
  apiKey: string;
  sessionId: string;
  token: string;
  options?: SessionOptions;
  /** Handlers for the session's events; may change between renders without reconnecting. */
  eventHandlers?: SessionEventHandlers;
  onConnect?: (session: Session) => void;
  onError?: (error: RollcallError) => void;
  children?: ReactNode;
}

export function OTSession(props: OTSessionProps): ReactElement;

/** The Session of the nearest OTSession, or null before it mounted. */
export function useSession(): Session | null;

/** The live roster (own connection first); a new array only when it changes. */
export function useConnections(session?: Session | null): readonly Connection[];
