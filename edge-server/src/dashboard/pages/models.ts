/**
 * @module dashboard/pages/models — every published version with its metrics, channel and rollout;
 * change a rollout, promote a version, roll back. Rollout and promotion use versions already
 * signed; a rollback must be signed anew with the site's private key, which never reaches the
 * server: the operator picks the key file, and this page signs in the browser (WebCrypto, the same
 * signer as `aisle rollback`), sending only the signed manifest.
 */
import type { ModelHealth } from '@aisle/shared-models/models/health';
import type { ModelManifest } from '@aisle/shared-models/models/manifest';
import { networkName } from '@aisle/shared-models/models/recommender/networks';
import { signManifest } from '@aisle/shared-models/models/signing';
import { api, q } from '../api';
import { card, fmt, h, table } from '../dom';
import { healthNote } from '../health';
import type { Page } from './types';

interface ModelRow {
  name: string;
  version: number;
  published_at: string;
  metrics: Record<string, unknown>;
  health: ModelHealth;
  channels: { channel: string; rollout: number; rollback: boolean }[];
}

/** The headline numbers of a manifest's metrics, whatever model wrote them. */
function headline(metrics: Record<string, unknown>): string {
  const out: string[] = [];
  const walk = (obj: Record<string, unknown>, prefix: string, depth: number) => {
    for (const [k, v] of Object.entries(obj)) {
      if (out.length >= 4) return;
      if (typeof v === 'number') out.push(`${prefix}${k} ${Number.isInteger(v) ? fmt.int(v) : fmt.num(v)}`);
      else if (v && typeof v === 'object' && depth < 1 && !Array.isArray(v))
        walk(v as Record<string, unknown>, `${k}.`, depth + 1);
    }
  };
  const { arch, ...rest } = metrics ?? {};
  walk(rest, '', 0);
  // A recommender says which network reads the history, and, where both were trained, by how much it won.
  const chosen = (arch as { chosen?: unknown } | undefined)?.chosen;
  if (typeof chosen === 'string') {
    const candidates = (arch as { candidates?: { arch?: unknown; valid_ndcg?: unknown }[] }).candidates ?? [];
    const others = Array.isArray(candidates)
      ? candidates.filter((c) => c?.arch !== chosen && typeof c?.valid_ndcg === 'number')
      : [];
    const valid = Array.isArray(candidates) ? candidates.find((c) => c?.arch === chosen)?.valid_ndcg : undefined;
    const against = others.map((c) => `${networkName(c.arch)} ${fmt.num(c.valid_ndcg as number)}`);
    out.unshift(
      `network ${networkName(chosen)}${
        typeof valid === 'number' && against.length
          ? ` (validation NDCG@10 ${fmt.num(valid)} against ${against.join(', ')})`
          : ''
      }`,
    );
  }
  return out.join(', ') || '–';
}

/** What the last action did, shown again on the page it redraws. */
let lastDone = '';

export const modelsPage: Page = async ({ site, role, refresh }) => {
  const { models } = await api.get<{ models: ModelRow[] }>(q('/v1/admin/models', { site }));
  const status = h('p', { role: 'status', class: lastDone ? 'ok' : 'muted' }, lastDone);
  lastDone = '';
  const act = async (what: () => Promise<unknown>, done: string) => {
    try {
      await what();
      lastDone = done;
      refresh();
    } catch (error) {
      status.className = 'error';
      status.textContent = (error as Error).message;
    }
  };
  const operator = role === 'operator';

  /** Roll back: the key file is read here and used here; only the signed manifest is sent. */
  function rollbackControl(name: string, version: number, from: number) {
    const file = h('input', {
      type: 'file',
      accept: '.pem,.key',
      'aria-label': `private key to sign the rollback of ${name}`,
      'data-rollback-key': `${name}:${version}`,
      disabled: !operator,
    });
    const go = h(
      'button',
      { type: 'button', disabled: !operator, 'data-rollback': `${name}:${version}` },
      `Roll back to v${version}`,
    );
    go.addEventListener('click', () =>
      act(async () => {
        const pem = await file.files?.[0]?.text();
        if (!pem)
          throw new Error('choose the site’s private key file (aisle keys generate wrote it) to sign the rollback');
        const { manifest } = await api.get<{ manifest: ModelManifest }>(
          q(`/v1/admin/models/${name}/versions/${version}`, { site }),
        );
        const signed = await signManifest({ ...manifest, rollback: { from } }, pem, site);
        await api.send('POST', `/v1/admin/models/${name}/rollback`, { manifest: signed, channel: 'stable' });
      }, `${name}: stable rolled back from v${from} to v${version}, signed in this browser`),
    );
    return h('span', { class: 'toolbar' }, h('label', {}, 'key ', file), go);
  }
  const byName = new Map<string, ModelRow[]>();
  for (const m of models) byName.set(m.name, [...(byName.get(m.name) ?? []), m]);

  const sections = [...byName].map(([name, versions]) => {
    versions.sort((a, b) => b.version - a.version);
    const serving = (channel: string) => versions.find((v) => v.channels.some((c) => c.channel === channel));
    const stable = serving('stable');
    return card(
      name,
      table(
        ['version', 'published', 'held-out quality', 'metrics', 'channels', 'actions'],
        versions.map((v) => {
          const channels = v.channels.map((c) => {
            const input = h('input', {
              type: 'number',
              min: 0,
              max: 100,
              value: String(c.rollout),
              'aria-label': `${name} ${c.channel} rollout`,
              'data-rollout': `${name}:${c.channel}`,
              disabled: !operator,
              style: 'width: 4.5rem',
            });
            const set = h(
              'button',
              { type: 'button', disabled: !operator, 'data-set-rollout': `${name}:${c.channel}` },
              'Set',
            );
            set.addEventListener('click', () =>
              act(
                () =>
                  api.send('PUT', `/v1/admin/models/${name}/channels/${c.channel}`, {
                    site,
                    rollout: Number(input.value),
                  }),
                `${name} ${c.channel}: rollout ${input.value} %`,
              ),
            );
            return h(
              'div',
              {},
              h('span', { class: 'tag' }, c.channel),
              c.rollback ? h('span', { class: 'tag' }, 'rollback') : null,
              input,
              ' % ',
              set,
            );
          });
          const actions: (HTMLElement | string)[] = [];
          if (!v.channels.some((c) => c.channel === 'stable')) {
            if (!stable || v.version > stable.version) {
              const promote = h(
                'button',
                { type: 'button', disabled: !operator, 'data-promote': `${name}:${v.version}` },
                'Promote to stable',
              );
              promote.addEventListener('click', () =>
                act(
                  () =>
                    api.send('POST', `/v1/admin/models/${name}/promote`, {
                      site,
                      version: v.version,
                      channel: 'stable',
                      rollout: 100,
                    }),
                  `${name} v${v.version} is now stable`,
                ),
              );
              actions.push(promote);
            } else if (stable) {
              actions.push(rollbackControl(name, v.version, stable.version));
            }
          }
          return [
            h('b', {}, `v${v.version}`),
            fmt.time(v.published_at),
            healthNote(v.health, `${name}:${v.version}`),
            headline(v.metrics),
            channels,
            actions,
          ];
        }),
        [],
        { 'data-table': `models-${name}` },
      ),
    );
  });
  return h(
    'div',
    {},
    status,
    models.length ? sections : h('p', { class: 'muted' }, 'No model is published for this site: aisle publish.'),
    h(
      'p',
      { class: 'muted' },
      'Rollout is the share of devices (by a stable hash of each device) a channel reaches. A rollback is signed anew with the site’s private key: the key file is read and used in this browser only (or run aisle rollback where the key is).',
    ),
  );
};
