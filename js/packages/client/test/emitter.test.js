import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, join, created, FakeWebSocket } from './helpers.js';

test('defect 6: once(f) after on(f) removes only the one-shot registration', t => {
  const { session } = setup(t);
  let calls = 0;
  const f = () => { calls += 1; };
  session.on('connectionCreated', f);
  session.once('connectionCreated', f);
  join(session, { id: 'A', seq: 1 });          // created A: both registrations
  FakeWebSocket.last.receive({ type: 'events', events: [created(2, 'B')] }); // only on(f)
  assert.equal(calls, 3);
});

test('defect 6: on(null), once(null) and off(null) are harmless', t => {
  const { session } = setup(t);
  assert.doesNotThrow(() => session.on(null));
  assert.doesNotThrow(() => session.once(null));
  assert.doesNotThrow(() => session.off(null));
});

test('on/off with the object form, context and off() during an emit', t => {
  const { session } = setup(t);
  const seen = [];
  const context = { name: 'ctx' };
  const second = () => seen.push('second');
  session.on({ connectionCreated() { seen.push(this.name); session.off('connectionCreated', second); } }, context);
  session.on('connectionCreated', second);
  join(session, { id: 'A' });
  assert.deepEqual(seen, ['ctx']);
  session.off({ connectionCreated: undefined });
  FakeWebSocket.last.receive({ type: 'events', events: [created(11, 'B')] });
  assert.deepEqual(seen, ['ctx']);
});
