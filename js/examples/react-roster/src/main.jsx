// The roster as a React app. Everything comes from the URL, so that any page can link to it:
//   ?ws=ws://host:8080/v1/ws&apiKey=...&session=...&token=...   (&strict=0 to leave StrictMode off)
// The token comes from your backend (here: from whoever built the link).
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { OTSession, useConnections, useSession } from '@rollcall/react';

const params = new URLSearchParams(location.search);

function Roster() {
  const session = useSession();
  const connections = useConnections();
  const own = session?.connection?.connectionId;
  return (
    <section aria-labelledby="roster-title">
      <h2 id="roster-title">In this session <span id="count">{connections.length}</span></h2>
      <ul id="roster">
        {connections.map(c => (
          <li key={c.connectionId} data-connection-id={c.connectionId} data-connection-data={c.data} data-self={c.connectionId === own || undefined}>
            {c.data || c.connectionId.slice(0, 8)}{c.connectionId === own ? ' (you)' : ''}
          </li>
        ))}
      </ul>
    </section>
  );
}

function App() {
  const [joined, setJoined] = useState(true);
  const [state, setState] = useState('connecting');
  const [error, setError] = useState(null);
  const [log, setLog] = useState([]);
  const add = (event, connection, reason) =>
    setLog(entries => [...entries, { event, id: connection.connectionId, data: connection.data, reason }]);

  // Event handlers as in opentok-react; they may change on every render without reconnecting.
  const eventHandlers = {
    connectionCreated: e => add('created', e.connection),
    connectionDestroyed: e => add('destroyed', e.connection, e.reason),
    sessionReconnecting: () => setState('reconnecting'),
    sessionReconnected: () => setState('connected'),
    sessionDisconnected: () => setState('disconnected'),
    exception: e => setError(e.error),
  };

  return (
    <main>
      <h1>Rollcall with React</h1>
      <p id="state" data-state={joined ? state : 'disconnected'} role="status">
        {joined ? state : 'left'}
      </p>
      {error && <p id="error" role="alert" data-code={error.code}>Error {error.code}: {error.message}</p>}
      <button id="leave" type="button" disabled={!joined} onClick={() => { setJoined(false); setState('disconnected'); }}>
        Leave
      </button>
      {joined && (
        <OTSession
          apiKey={params.get('apiKey')}
          sessionId={params.get('session')}
          token={params.get('token')}
          options={{ url: params.get('ws') || undefined }}
          eventHandlers={eventHandlers}
          onConnect={() => setState('connected')}
          onError={e => { setError(e); setState('disconnected'); }}
        >
          <Roster />
        </OTSession>
      )}
      <section aria-labelledby="log-title">
        <h2 id="log-title">Events</h2>
        <ol id="log">
          {log.map((entry, i) => (
            <li key={i} data-event={entry.event} data-connection-id={entry.id} data-reason={entry.reason}>
              {entry.data || entry.id} {entry.event === 'created' ? 'joined' : `left (${entry.reason})`}
            </li>
          ))}
        </ol>
      </section>
    </main>
  );
}

const app = params.get('strict') === '0' ? <App /> : <StrictMode><App /></StrictMode>;
createRoot(document.getElementById('root')).render(app);
