import { describe, expect, it } from 'vitest';
import { type Interaction, itemSteps } from '../schema/interaction';
import { rareItems, SESSION_COLUMNS, SESSION_FEATURES_VERSION, sessionize, sessionRow } from './session';

const at = (user: string, seconds: number, type = 'view_item', item = `i${seconds}`): Interaction => ({
  user_id: user,
  item_id: item,
  type,
  ts: Date.UTC(2026, 0, 1) + seconds * 1000,
});

describe('sessions', () => {
  it('cut a user at 30 idle minutes, and keep a session_id where the row has one', () => {
    const events = [at('a', 0), at('b', 10), at('a', 60), { ...at('c', 70), session_id: 's9' }, at('a', 60 + 1801)];
    const sessions = sessionize(events);
    expect([...sessions.keys()]).toEqual(['a#1', 'b#1', 's9', 'a#2']);
    expect(sessions.get('a#1')).toHaveLength(2);
  });

  it('tell a ticking script from a person by the regularity of the gaps', () => {
    const script = sessionRow(Array.from({ length: 20 }, (_, k) => at('bot', k * 2)));
    const person = sessionRow([0, 5, 70, 80, 200, 420].map((s) => at('p', s)));
    expect(Number(script.gap_regularity)).toBe(0);
    expect(Number(person.gap_regularity)).toBeGreaterThan(0.5);
    expect(Number(script.max_events_in_10s)).toBe(6);
    expect(Number(script.item_breadth)).toBe(1);
    expect(Object.keys(script)).toEqual([...SESSION_COLUMNS]);
  });

  it('count payment failures, and leave gaps blank for a single event', () => {
    const tester = sessionRow([
      at('c', 0, 'add_to_cart', 'x'),
      ...[1, 2, 3].flatMap((k) => [
        at('c', k * 10, 'add_payment_info', 'x'),
        at('c', k * 10 + 2, 'payment_failed', 'x'),
      ]),
    ]);
    expect(tester).toMatchObject({ payment_attempts: '3', payment_failures: '3', carts: '1', distinct_items: '1' });
    const single = sessionRow([at('s', 0)]);
    expect(single).toMatchObject({ events: '1', mean_gap_s: '', min_gap_s: '', gap_regularity: '' });
  });

  it("time a person between pages, not within one page's load, however fast the device", () => {
    // Six pages, each sending the page, the product and the list under it as it loads.
    const pages = (within: number) =>
      [0, 25, 66, 84, 140, 173].flatMap((s, k) => [
        { ...at('p', s, 'page_view', ''), ts: at('p', s).ts },
        { ...at('p', s, 'view_item', `i${k}`), ts: at('p', s).ts + within },
        { ...at('p', s, 'view_item_list', `l${k}`), ts: at('p', s).ts + 2 * within },
      ]);
    const fast = sessionRow(pages(3));
    const slow = sessionRow(pages(350));
    for (const column of ['min_gap_s', 'mean_gap_s', 'gap_regularity'])
      expect([column, slow[column]]).toEqual([column, fast[column]]);
    expect(fast).toMatchObject({
      events: '18',
      min_gap_s: '18',
      page_views: '6',
      top_item_share: String(Math.round(1000 / 6) / 1000),
    });
    // Models trained before moments (no session_features in their manifest) are scored as they were trained: gap by gap.
    expect(sessionRow(pages(3), {}).min_gap_s).toBe('0.003');
    expect(sessionRow(pages(3), { session_features: SESSION_FEATURES_VERSION }).min_gap_s).toBe('18');
    // A script four times a second still ticks, a moment a second, and still shows its pace.
    const script = sessionRow(
      Array.from({ length: 40 }, (_, k) => ({ ...at('bot', 0), ts: at('bot', 0).ts + k * 250 })),
    );
    expect(Number(script.gap_regularity)).toBe(0);
    expect(script).toMatchObject({ min_gap_s: '1', max_events_in_10s: '40' });
  });

  it('count the actions a session took of each kind', () => {
    const row = sessionRow([
      at('x', 0, 'login', ''),
      at('x', 5, 'login', ''),
      at('x', 9, 'sign_up', ''),
      at('x', 12, 'search', ''),
      at('x', 20, 'select_promotion', 'a'),
      at('x', 21, 'select_item', 'a'),
      at('x', 30, 'add_to_cart', 'b'),
      at('x', 40, 'remove_from_cart', 'b'),
    ]);
    expect(row).toMatchObject({
      logins: '2',
      sign_ups: '1',
      searches: '1',
      clicks: '2',
      cart_removals: '1',
      carts: '1',
    });
    // The promotion's click and the list click on the same item are one step.
    expect(row.top_item_share).toBe('0.667');
  });

  it("count a card's click and the page it opened as one step, as the recommender reads them", () => {
    const clicked = sessionRow(
      [0, 30, 75].flatMap((s, k) => [at('p', s, 'select_item', `i${k}`), at('p', s + 0.4, 'view_item', `i${k}`)]),
    );
    expect(clicked).toMatchObject({ item_breadth: '1', distinct_items: '3', clicks: '3', events: '6' });
    // A click on one item that opened nothing of it, then another item's page: two steps.
    expect(itemSteps([at('p', 0, 'select_item', 'a'), at('p', 1, 'view_item', 'b')]).map((e) => e.item_id)).toEqual([
      'a',
      'b',
    ]);
  });

  it("say how unlikely a shopper opens as many products few people open, against the model's own list of them", () => {
    // A shop where people look at five products, and now and then at one of a hundred others.
    const people = Array.from({ length: 200 }, (_, u) =>
      [0, 40, 90, 150].map((s, k) => at(`u${u}`, s, 'view_item', (u + k) % 25 ? `pop${(u + k) % 5}` : `rare${u}`)),
    );
    const rare = rareItems(people);
    expect(rare?.items).toBe(32);
    expect(rare?.share).toBe(0.04);
    const model = { session_features: SESSION_FEATURES_VERSION, rare_items: rare };
    const rareIds = [...new Set(people.flat().map((e) => e.item_id))].filter((id) => id.startsWith('rare'));
    const scraper = rareIds.slice(0, 30).map((id, k) => at('bot', k * 20, 'view_item', id));
    // 30 of 30 steps on rare products, where a shopper's steps are 4 % of the time: −log10(0.04³⁰).
    expect(sessionRow(scraper, model).rare_item_surprise).toBe('41.938');
    // None rare: nothing unlikely. One of four: −log10(1 − 0.96⁴), about one in seven.
    expect(sessionRow(people[1], model).rare_item_surprise).toBe('0');
    expect(sessionRow(people[0], model).rare_item_surprise).toBe('0.822');
    // A long look at one rare product, to the checkout, is one product of one: one in 25, not a crawl.
    const keen = ['view_item', 'add_to_cart', 'begin_checkout', 'purchase'].map((type, k) =>
      at('keen', k * 30, type, rareIds[0]),
    );
    expect(sessionRow(keen, model).rare_item_surprise).toBe('1.398');
    // Products nobody opened before may be new: they count for nothing.
    const fresh = Array.from({ length: 30 }, (_, k) => at('new', k * 20, 'view_item', `sku${k}`));
    expect(sessionRow(fresh, model).rare_item_surprise).toBe('0');
    // Without the set (no model, one from before, a log without products) the column is blank.
    expect(sessionRow(scraper).rare_item_surprise).toBe('');
    expect(sessionRow(scraper, { session_features: 2, rare_items: rare }).rare_item_surprise).toBe('');
    expect(rareItems([[at('x', 0, 'login', '')]])).toBeUndefined();
    // A shop whose products are all looked at alike has no rare ones.
    const alike = Array.from({ length: 100 }, (_, u) =>
      [0, 30].map((s, k) => at(`a${u}`, s, 'view_item', `p${(u + k) % 20}`)),
    );
    expect(rareItems(alike)).toBeUndefined();
  });
});
