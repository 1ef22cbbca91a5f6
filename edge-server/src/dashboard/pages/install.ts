/** @module dashboard/pages/install — the tag for the merchant's site, with its key and public key, a live view of the last events received, and read-only tokens. */
import { api, q } from '../api';
import { card, fmt, h, table } from '../dom';
import type { Page } from './types';

interface Answer {
  site: { key: string; name: string; origins: string[] } | null;
  keys: { key_id: string; public_key: string }[];
  identity: { created_at: string } | null;
  last: { seq: number; received_at: string; type: string; url: string | null; event_id: string }[];
}
interface Token {
  id: string;
  name: string;
  created_at: number;
}

const POLL_MS = 3000;

export const installPage: Page = async ({ site, role }) => {
  const first = await api.get<Answer>(q('/v1/admin/dashboard/install', { site }));
  const key = first.keys.at(-1);
  const control = h('input', { type: 'number', min: 0, max: 50, value: '10', name: 'control', style: 'width: 4.5rem' });
  const snippet = h('pre', { 'data-snippet': '' });
  const draw = () => {
    const share = Math.min(50, Math.max(0, Number(control.value) || 0));
    snippet.textContent = `<script async src="${location.origin}/aisle.js" data-site="${site}"${key ? ` data-key="${key.public_key}"` : ''} data-consent="opt-in" data-control="${share}%"></script>`;
  };
  control.addEventListener('input', draw);
  draw();

  const live = h('div', {});
  const render = (a: Answer) => {
    const newest = a.last[0];
    live.replaceChildren(
      h(
        'p',
        { class: newest && Date.now() - Date.parse(newest.received_at) < 5 * 60_000 ? 'ok' : 'muted', 'data-live': '' },
        newest
          ? `Last event received ${fmt.time(newest.received_at)} (${newest.type}${fmt.origin(newest.url) ? ` from ${fmt.origin(newest.url)}` : ''}).`
          : 'No event received yet: add the tag, open a page of your shop, and this list fills in.',
      ),
      table(
        ['received', 'type', 'page'],
        a.last.map((e) => [fmt.time(e.received_at), e.type, e.url ?? '–']),
        [],
        { 'data-table': 'last-events' },
      ),
    );
  };
  render(first);
  // Live while the page is open: polling stops once the page is left.
  const timer = setInterval(async () => {
    if (!document.body.contains(live)) return clearInterval(timer);
    try {
      render(await api.get<Answer>(q('/v1/admin/dashboard/install', { site })));
    } catch {
      // the next poll tries again
    }
  }, POLL_MS);

  const tokens = h('div', {});
  async function listTokens() {
    const { tokens: list } = await api.get<{ tokens: Token[] }>(q('/v1/admin/tokens', { site }));
    tokens.replaceChildren(
      table(
        ['name', 'id', 'created', ''],
        list.map((t) => {
          const revoke = h('button', { type: 'button' }, 'Revoke');
          revoke.addEventListener('click', async () => {
            await api.send('DELETE', q(`/v1/admin/tokens/${t.id}`, { site }));
            await listTokens();
          });
          return [t.name, h('code', {}, t.id), fmt.time(t.created_at), revoke];
        }),
      ),
    );
  }
  let tokenCard: HTMLElement | null = null;
  let identityCard: HTMLElement | null = null;
  if (role === 'operator') {
    const made = h('pre', { 'data-identity-secret': '', hidden: true });
    const state = h(
      'p',
      { 'data-identity': first.identity ? 'set' : 'none' },
      first.identity
        ? `An identity secret was made ${fmt.time(first.identity.created_at)}. Making a new one retires it: proofs made with the old one no longer link new browsers.`
        : 'No identity secret yet: signed-in shoppers see and erase only what their own browser sent.',
    );
    const makeSecret = h(
      'button',
      { type: 'button', 'data-make-identity': '' },
      first.identity ? 'Make a new identity secret' : 'Make the identity secret',
    );
    makeSecret.addEventListener('click', async () => {
      const { secret } = await api.send<{ secret: string }>(
        'POST',
        `/v1/admin/sites/${encodeURIComponent(site)}/identity-secret`,
      );
      made.hidden = false;
      made.textContent = `${secret}\n(shown once: keep it on your server, like a password)`;
      state.textContent = 'The identity secret below is in force now.';
    });
    identityCard = card(
      'Signed-in shoppers',
      h(
        'p',
        {},
        'Optional. So that a shopper signed in on your shop can read and erase their profile from any browser, your server signs their customer id and puts the proof in the page: ',
      ),
      h(
        'pre',
        {},
        `hashed = sha256_hex("${site}:" + customer_id)\nproof  = hmac_sha256_hex(identity_secret, hashed)\n\naisle.identify(customer_id, { proof })`,
      ),
      state,
      h('div', { class: 'toolbar' }, makeSecret),
      made,
    );
    const name = h('input', { name: 'token-name', placeholder: 'who it is for', value: 'merchant' });
    const shown = h('pre', { 'data-new-token': '', hidden: true });
    const create = h('button', { type: 'button', class: 'primary' }, 'Create read-only token');
    create.addEventListener('click', async () => {
      const made = await api.send<{ token: string }>('POST', '/v1/admin/tokens', {
        site,
        name: name.value || 'merchant',
      });
      shown.hidden = false;
      shown.textContent = `${made.token}\n(shown once: it reads this site's dashboard and changes nothing)`;
      await listTokens();
    });
    await listTokens();
    tokenCard = card('Read-only tokens', h('div', { class: 'toolbar' }, name, create), shown, tokens);
  }

  return h(
    'div',
    {},
    card(
      'The tag',
      h(
        'p',
        {},
        'Paste this into every page of the shop, before </head>. ',
        h(
          'label',
          {},
          'Hold-out share (shoppers who get no recommendations, to measure their effect): ',
          control,
          ' %',
        ),
      ),
      snippet,
      h(
        'p',
        { class: 'muted' },
        key
          ? `data-key pins the site's public key (${key.key_id}): devices run only models signed with it.`
          : 'No signing key is registered for this site yet (aisle keys register); without data-key devices run no signed models.',
        ` Origins allowed to send events: ${first.site?.origins.join(', ') ?? '–'}.`,
      ),
    ),
    card('Live check: the last events received', live),
    identityCard,
    tokenCard,
  );
};
