// Compiled by `npm test` (tsc --noEmit): the published types accept the documented usage.
import Rollcall, { initSession, type Connection, type RollcallError } from '@rollcall/client';
import { OTSession, useConnections, useSession } from '@rollcall/react';

const session = Rollcall.initSession('key', 'room', { url: 'ws://localhost:8080/v1/ws' });
let total = 0;
session.on({
  connectionCreated: e => console.log(e.connection.connectionId, ++total),
  connectionDestroyed: e => console.log(e.reason === 'networkDisconnected', --total),
  exception: e => console.log(e.code, e.title),
});
session.once('sessionDisconnected', e => console.log(e.reason));
session.connect('rc1.token', (error?: RollcallError) => {
  if (error) console.log(error.code, error.name);
  else console.log(session.connection?.connectionId, session.connections.length);
});
const ids: string[] = initSession('k', 's').connections.map((c: Connection) => c.connectionId);
session.off();
session.disconnect();

function Roster() {
  const connections = useConnections();
  const current = useSession();
  return <ul>{connections.map(c => <li key={c.connectionId}>{c.data}{current?.currentState}</li>)}</ul>;
}

export const app = (
  <OTSession apiKey="k" sessionId="s" token="t" eventHandlers={{ connectionCreated: e => console.log(e.connection) }}
             onError={e => console.log(e.code)} onConnect={s => s.disconnect()}>
    <Roster />
  </OTSession>
);
export { ids };
