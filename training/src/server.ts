/**
 * @module training/server — the CLI talking to an edge server's admin API as the operator: the
 * `--server` and `--token` options, and calls whose refusals become one readable line.
 */
import { stringOption, UsageError, type Values } from './commands/command';
import { DataError } from './data/errors';

export interface Connection {
  server: string;
  token: string;
}

export function connection(values: Values): Connection {
  const token = stringOption(values, 'token') ?? process.env.AISLE_OPERATOR_TOKEN;
  if (!token) throw new UsageError('missing --token (or AISLE_OPERATOR_TOKEN)');
  return { server: stringOption(values, 'server', true), token };
}

/** The server's JSON answer, or a DataError that says what it refused and why. */
export async function call({ server, token }: Connection, path: string, init: RequestInit = {}): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(new URL(path, server), {
      ...init,
      headers: { Authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
    });
  } catch (error) {
    throw new DataError(`cannot reach ${server}: ${(error as Error).message}`);
  }
  const text = await res.text();
  let body: { error?: string; details?: { path: string; message: string }[] } & Record<string, unknown> = {};
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: reported below by status
  }
  if (!res.ok) {
    const details = (body.details ?? []).map((d) => `${d.path ? `${d.path}: ` : ''}${d.message}`).join('; ');
    throw new DataError(
      `the server refused (${res.status} ${body.error ?? res.statusText})${details ? `: ${details}` : ''}`,
    );
  }
  return body;
}

export const postJson = (conn: Connection, path: string, body: unknown) =>
  call(conn, path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

/** Sends scored rows to `POST /v1/admin/profiles` in requests of at most 20,000; the rows sent. */
export async function publishScores(values: Values, kind: 'churn' | 'profile', rows: unknown[]): Promise<number> {
  const conn = connection(values);
  const site = stringOption(values, 'site', true);
  for (let i = 0; i < rows.length; i += 20_000) {
    await postJson(conn, '/v1/admin/profiles', { site, kind, rows: rows.slice(i, i + 20_000) });
  }
  return rows.length;
}

/** After `publishScores`: the run's summary for the dashboard (segment sizes and what they buy, or churn counts and the model's test metrics). */
export async function publishRun(values: Values, kind: 'churn' | 'profile', summary: Record<string, unknown>) {
  await postJson(connection(values), '/v1/admin/profile-runs', {
    site: stringOption(values, 'site', true),
    kind,
    summary,
  });
}

/** Each segment's size, revenue, share of all revenue and most common top categories. */
export function segmentSummary(members: { segment: string; revenue: number; category: string }[]) {
  const bySegment = new Map<string, { size: number; revenue: number; categories: Map<string, number> }>();
  let revenue = 0;
  for (const m of members) {
    const s = bySegment.get(m.segment) ?? { size: 0, revenue: 0, categories: new Map<string, number>() };
    bySegment.set(m.segment, s);
    s.size++;
    const spent = Number.isFinite(m.revenue) ? m.revenue : 0;
    s.revenue += spent;
    revenue += spent;
    if (m.category) s.categories.set(m.category, (s.categories.get(m.category) ?? 0) + 1);
  }
  return {
    users: members.length,
    segments: [...bySegment].map(([name, s]) => ({
      name,
      size: s.size,
      revenue: Math.round(s.revenue * 100) / 100,
      revenue_share: revenue ? s.revenue / revenue : 0,
      top_categories: [...s.categories]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .slice(0, 3)
        .map(([c]) => c),
    })),
  };
}
