/**
 * @module training/pipelines/anomaly-attacks — known-bad sessions mixed into a real log, so the
 * anomaly model can be measured on traffic whose truth is known. Eight kinds, each written from
 * OWASP's public catalogue of automated threats to web applications (OAT), each a generator whose
 * parameters are drawn per session (length, pace, how steady the pace is, how often it looks
 * twice) with a person's noise on top (log-normal pauses, the odd revisit), so no kind is one
 * fixed pattern a detector could learn by heart:
 *
 * | kind | OWASP | what the session does |
 * |---|---|---|
 * | `scraping` | OAT-011 | walks the catalogue category by category, item after new item, fast |
 * | `slow_scraping` | OAT-011 | the same at a person's pace and unevenness, for an hour's worth of items |
 * | `scalping` | OAT-005 | watches one to three items, reloading them, then buys the moment it can |
 * | `carding` | OAT-001 / OAT-010 | one cheap item in the cart, then card after card declined |
 * | `credential_stuffing` | OAT-008 | login after login with stolen credentials, now and then one that works |
 * | `cart_hoarding` | OAT-021 | fills a cart with many items, removing and re-adding, never checks out |
 * | `account_creation` | OAT-019 | signs up account after account |
 * | `click_fraud` | OAT-003 | clicks the same promoted items over and over, barely looking at them |
 *
 * Browsing is written in the log's own commonest item event, so that a kind is caught for what it
 * does, not for an event type the shop never logs; the events a kind exists for (logins, sign-ups,
 * carts, payments) carry the names Aisle's script sends.
 */
import type { Interaction } from '@aisle/shared-models/schema/interaction';
import { random } from '@aisle/shared-models/util/random';
import { sortByTime } from '../data/interchange';

export const ATTACK_KINDS = [
  'scraping',
  'slow_scraping',
  'scalping',
  'carding',
  'credential_stuffing',
  'cart_hoarding',
  'account_creation',
  'click_fraud',
] as const;

export type AttackKind = (typeof ATTACK_KINDS)[number];

export interface Injected {
  /** The log with the injected sessions, in time order. */
  events: Interaction[];
  /** Each injected session's id and kind. */
  sessions: Map<string, AttackKind>;
}

/** What a generator knows of the shop it attacks: its items, its browsing event, its clock. */
interface Shop {
  rnd: () => number;
  items: Interaction[];
  byCategory: Interaction[][];
  browse: string;
}

/** Writes one session's events from its start time; returns them. */
type Generator = (shop: Shop, start: number, session: string) => Interaction[];

const between = (rnd: () => number, lo: number, hi: number) => lo + rnd() * (hi - lo);
const whole = (rnd: () => number, lo: number, hi: number) => Math.floor(between(rnd, lo, hi + 1));

/** A normal deviate (Box–Muller). */
const normal = (rnd: () => number) => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());

/**
 * A pace: pauses log-normal around a median drawn from [lo, hi] ms, with a spread drawn from
 * [steady, uneven] (0.05 is a metronome, 0.9 a person) — each session its own.
 */
function pace(rnd: () => number, lo: number, hi: number, steady: number, uneven: number) {
  const median = Math.exp(between(rnd, Math.log(lo), Math.log(hi)));
  const sigma = between(rnd, steady, uneven);
  return () => median * Math.exp(sigma * normal(rnd));
}

function writer(shop: Shop, session: string) {
  const rows: Interaction[] = [];
  const emit = (type: string, from: Interaction | undefined, ts: number, quantity?: number) => {
    const row: Interaction = {
      user_id: session,
      item_id: from?.item_id ?? '',
      type,
      ts: Math.round(ts),
      session_id: session,
    };
    if (from?.price !== undefined) row.price = from.price;
    if (from?.category !== undefined) row.category = from.category;
    if (quantity !== undefined) row.quantity = quantity;
    rows.push(row);
  };
  const pick = () => shop.items[Math.floor(shop.rnd() * shop.items.length)];
  return { rows, emit, pick };
}

const GENERATORS: Record<AttackKind, Generator> = {
  scraping(shop, start, session) {
    const { rnd } = shop;
    const { rows, emit } = writer(shop, session);
    const next = pace(rnd, 300, 5000, 0.05, 0.5);
    const length = whole(rnd, 10, 300);
    const retry = between(rnd, 0, 0.05);
    let t = start;
    let category = Math.floor(rnd() * shop.byCategory.length);
    let k = 0;
    for (let n = 0; n < length; n++) {
      const list = shop.byCategory[category];
      if (k >= list.length) {
        category = (category + 1) % shop.byCategory.length;
        k = 0;
        continue;
      }
      const item = rnd() < retry && k > 0 ? list[k - 1] : list[k++];
      emit(shop.browse, item, t);
      t += next();
    }
    return rows;
  },
  slow_scraping(shop, start, session) {
    const { rnd } = shop;
    const { rows, emit, pick } = writer(shop, session);
    const next = pace(rnd, 8000, 45_000, 0.4, 0.9);
    const length = whole(rnd, 15, 120);
    const revisit = between(rnd, 0, 0.08);
    const seen: Interaction[] = [];
    const ids = new Set<string>();
    let t = start;
    for (let n = 0; n < length; n++) {
      let item = pick();
      if (seen.length && rnd() < revisit) item = seen[Math.floor(rnd() * seen.length)];
      else for (let tries = 0; ids.has(item.item_id) && tries < 20; tries++) item = pick();
      seen.push(item);
      ids.add(item.item_id);
      emit(shop.browse, item, t);
      t += Math.min(next(), 25 * 60_000);
    }
    return rows;
  },
  scalping(shop, start, session) {
    const { rnd } = shop;
    const { rows, emit, pick } = writer(shop, session);
    const targets = Array.from({ length: whole(rnd, 1, 3) }, pick);
    const poll = pace(rnd, 2000, 30_000, 0.1, 0.6);
    const polls = whole(rnd, 10, 150);
    let t = start;
    for (let n = 0; n < polls; n++) {
      emit(shop.browse, targets[n % targets.length], t);
      t += poll();
    }
    // In stock: straight through the checkout, a few seconds a step.
    const quick = pace(rnd, 500, 5000, 0.1, 0.5);
    for (const item of targets) {
      emit('add_to_cart', item, t, whole(rnd, 1, 5));
      t += quick();
    }
    for (const type of ['begin_checkout', 'add_payment_info', 'purchase']) {
      for (const item of targets) emit(type, item, t);
      t += quick();
    }
    return rows;
  },
  carding(shop, start, session) {
    const { rnd } = shop;
    const { rows, emit, pick } = writer(shop, session);
    const item = pick();
    let t = start;
    for (let k = whole(rnd, 0, 3); k > 0; k--) {
      emit(shop.browse, item, t);
      t += between(rnd, 3000, 25_000);
    }
    emit('add_to_cart', item, t);
    t += between(rnd, 2000, 12_000);
    emit('begin_checkout', item, t);
    const attempt = pace(rnd, 2000, 30_000, 0.1, 0.8);
    const attempts = whole(rnd, 2, 40);
    for (let k = 0; k < attempts; k++) {
      t += attempt();
      emit('add_payment_info', item, t);
      t += between(rnd, 600, 3000);
      emit(k === attempts - 1 && rnd() < 0.3 ? 'purchase' : 'payment_failed', item, t);
    }
    return rows;
  },
  credential_stuffing(shop, start, session) {
    const { rnd } = shop;
    const { rows, emit, pick } = writer(shop, session);
    const next = pace(rnd, 800, 15_000, 0.1, 0.7);
    const attempts = whole(rnd, 3, 80);
    let t = start;
    emit('page_view', undefined, t);
    t += next();
    for (let k = 0; k < attempts; k++) {
      emit('login', undefined, t);
      t += next();
      // Now and then a pair works, and the bot looks around the account.
      if (rnd() < 0.05) {
        for (let v = whole(rnd, 1, 4); v > 0; v--) {
          emit(shop.browse, pick(), t);
          t += next();
        }
      }
    }
    return rows;
  },
  cart_hoarding(shop, start, session) {
    const { rnd } = shop;
    const { rows, emit, pick } = writer(shop, session);
    const next = pace(rnd, 1500, 20_000, 0.1, 0.8);
    const held: Interaction[] = [];
    const adds = whole(rnd, 4, 60);
    const look = between(rnd, 0, 0.7);
    let t = start;
    for (let k = 0; k < adds; k++) {
      const item = pick();
      if (rnd() < look) {
        emit(shop.browse, item, t);
        t += next();
      }
      emit('add_to_cart', item, t, whole(rnd, 1, 10));
      held.push(item);
      t += next();
      // Holds expire: drop one and take it again to keep it.
      if (held.length > 3 && rnd() < 0.2) {
        const again = held[Math.floor(rnd() * held.length)];
        emit('remove_from_cart', again, t);
        t += next();
        emit('add_to_cart', again, t);
        t += next();
      }
    }
    if (rnd() < 0.5) emit('view_cart', held[0], t);
    return rows;
  },
  account_creation(shop, start, session) {
    const { rnd } = shop;
    const { rows, emit, pick } = writer(shop, session);
    const next = pace(rnd, 5000, 60_000, 0.1, 0.8);
    const accounts = whole(rnd, 2, 30);
    let t = start;
    for (let k = 0; k < accounts; k++) {
      emit('page_view', undefined, t);
      t += next() / 3;
      emit('sign_up', undefined, t);
      t += next() / 3;
      if (rnd() < 0.3) {
        emit('login', undefined, t);
        t += next() / 3;
      }
      if (rnd() < 0.2) {
        emit(shop.browse, pick(), t);
        t += next() / 3;
      }
    }
    return rows;
  },
  click_fraud(shop, start, session) {
    const { rnd } = shop;
    const { rows, emit, pick } = writer(shop, session);
    const promoted = Array.from({ length: whole(rnd, 1, 5) }, pick);
    const dwell = pace(rnd, 800, 12_000, 0.1, 0.8);
    const clicks = whole(rnd, 5, 150);
    const click = rnd() < 0.5 ? 'select_promotion' : 'select_item';
    let t = start;
    for (let k = 0; k < clicks; k++) {
      const item = promoted[Math.floor(rnd() * promoted.length)];
      emit(click, item, t);
      t += between(rnd, 200, 1500);
      emit(shop.browse, item, t);
      t += dwell();
    }
    return rows;
  },
};

/** The shop as generators see it, from its log. */
function shopOf(events: readonly Interaction[], rnd: () => number): Shop {
  const typeCounts = new Map<string, number>();
  const catalogue = new Map<string, Interaction>();
  for (const e of events) {
    if (!e.item_id) continue;
    typeCounts.set(e.type, (typeCounts.get(e.type) ?? 0) + 1);
    if (!catalogue.has(e.item_id)) catalogue.set(e.item_id, e);
  }
  if (!catalogue.size) throw new Error('the log has no item events to attack');
  const items = [...catalogue.values()];
  const categories = new Map<string, Interaction[]>();
  for (const item of items) {
    const key = item.category ?? '';
    const list = categories.get(key);
    if (list) list.push(item);
    else categories.set(key, [item]);
  }
  // A bot that browses with a type the shop never logs would be caught for the wrong reason.
  const browse = [...typeCounts].sort((a, b) => b[1] - a[1])[0][0];
  return { rnd, items, byCategory: [...categories.values()], browse };
}

/**
 * Adds `count` injected sessions to `events`, the kinds in turn (all eight unless `kinds` says
 * otherwise), each starting at a random moment inside the log's span; seeded.
 */
export function injectSessions(
  events: readonly Interaction[],
  count: number,
  seed = 1,
  kinds: readonly AttackKind[] = ATTACK_KINDS,
): Injected {
  const rnd = random(seed);
  const shop = shopOf(events, rnd);
  const first = events[0].ts;
  const last = events[events.length - 1].ts;
  const added: Interaction[] = [];
  const sessions = new Map<string, AttackKind>();
  for (let i = 0; i < count; i++) {
    const kind = kinds[i % kinds.length];
    const session = `injected-${kind}-${i}`;
    sessions.set(session, kind);
    added.push(...GENERATORS[kind](shop, first + rnd() * Math.max(1, last - first), session));
  }
  return { events: sortByTime([...events, ...added]), sessions };
}
