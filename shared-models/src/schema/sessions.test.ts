import { describe, expect, it } from 'vitest';
import { SESSION_IDLE_MS, settleSessions } from './sessions';

let n = 0;
const newId = () => `s${++n}`;

describe('settleSessions', () => {
  it('starts a session for the first event and keeps it while events keep coming', () => {
    const events = [0, 60_000, 29 * 60_000].map((ts) => ({ ts, session_id: '' }));
    const state = settleSessions(undefined, events, newId);
    expect(new Set(events.map((e) => e.session_id)).size).toBe(1);
    expect(state?.last_ts).toBe(29 * 60_000);
  });

  it('starts a new session after 30 minutes without an event', () => {
    const events = [
      { ts: 0, session_id: '' },
      { ts: SESSION_IDLE_MS + 1, session_id: '' },
    ];
    settleSessions(undefined, events, newId);
    expect(events[0].session_id).not.toBe(events[1].session_id);
  });

  it('joins the session another tab kept alive instead of the one this tab guessed', () => {
    const event = { ts: 100_000, session_id: 'guessed-new' };
    settleSessions({ session_id: 'kept-alive', last_ts: 90_000 }, [event], newId);
    expect(event.session_id).toBe('kept-alive');
  });

  it("keeps this tab's new session id when the stored session really expired", () => {
    const event = { ts: SESSION_IDLE_MS * 3, session_id: 'guessed-new' };
    settleSessions({ session_id: 'old', last_ts: 0 }, [event], newId);
    expect(event.session_id).toBe('guessed-new');
  });
});
