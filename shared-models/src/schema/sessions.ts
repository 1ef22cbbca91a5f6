/**
 * @module shared-models/schema/sessions — sessions end after 30 minutes without an event, across all
 * of a shopper's tabs: one rule, for the device that stamps session ids and the trainer that cuts
 * interchange rows into sessions.
 */

/** GA4's and Snowplow's default session timeout. */
export const SESSION_IDLE_MS = 30 * 60_000;

export interface SessionState {
  session_id: string;
  last_ts: number;
}

/**
 * Puts each event in the session current at its time, starting a new one after `idleMs` of
 * silence, and returns the state after the last event. The page runs it as it stamps events (its
 * own tab's view, at once), and the store again as it writes them, against the state every tab
 * shares: the store's answer is the one kept. An event that arrives with its own new
 * session id (suggested by a tab that thought the session over) keeps that id if a new session
 * really starts; otherwise it joins the session another tab kept alive.
 */
export function settleSessions(
  state: SessionState | undefined,
  events: { ts: number; session_id: string }[],
  newId: () => string,
  idleMs = SESSION_IDLE_MS,
): SessionState | undefined {
  let s = state;
  for (const e of events) {
    if (!s || e.ts - s.last_ts > idleMs) {
      s = { session_id: e.session_id && e.session_id !== s?.session_id ? e.session_id : newId(), last_ts: e.ts };
    } else if (e.ts > s.last_ts) s = { ...s, last_ts: e.ts };
    e.session_id = s.session_id;
  }
  return s;
}
