/**
 * @module edge-server/retention — from a shopper's segment, tags and churn risk to what the merchant
 * should do: the first rule of the site's policy that matches. Merchants edit the policy
 * (`PUT /v1/admin/retention-policy`); the default follows the usual retention playbook — call a
 * high-value customer at risk, a limited-time coupon for the rest at high risk, a personalised
 * offer at medium risk, a care message for those who never bought.
 */
import { z } from 'zod';
import { HIGH_RISK, MEDIUM_RISK, type ProfileRecord } from './storage/profiles';

export const ACTIONS = ['service_call', 'limited_time_coupon', 'personalised_offer', 'care_message', 'none'] as const;
export const BANDS = ['high', 'medium', 'low'] as const;
export type Band = (typeof BANDS)[number];

/**
 * Churn probability bands: high from 0.6, medium from 0.3. The model's own flag is not a band: its
 * threshold is the one that maximises F1 on validation, often low, which would make "high risk"
 * most of a shop (it did on the demo's season).
 */
export function churnBand(p: Pick<ProfileRecord, 'churn'>): Band | null {
  if (p.churn === null) return null;
  if (p.churn >= HIGH_RISK) return 'high';
  return p.churn >= MEDIUM_RISK ? 'medium' : 'low';
}

export const RuleSchema = z.strictObject({
  /** A segment name, or absent for any. */
  segment: z.string().min(1).max(100).optional(),
  /** Churn bands the rule is for, or absent for any (a shopper not scored yet matches only "any"). */
  churn: z.array(z.enum(BANDS)).min(1).optional(),
  /** Tags the shopper must all have (`big spender`, `never bought`, …). */
  tags: z.array(z.string().min(1).max(60)).max(10).optional(),
  action: z.enum(ACTIONS),
  /** What the merchant's team or CRM should say or do, shown with the action. */
  message: z.string().max(500).default(''),
});
export type Rule = z.infer<typeof RuleSchema>;
export const PolicySchema = z.strictObject({ rules: z.array(RuleSchema).min(1).max(100) });

export const DEFAULT_POLICY: Rule[] = [
  {
    churn: ['high'],
    tags: ['big spender'],
    action: 'service_call',
    message: 'A high-value customer at risk: call them, hear them out, fix what went wrong.',
  },
  {
    churn: ['high'],
    action: 'limited_time_coupon',
    message: 'At high risk of leaving: a coupon valid for seven days on their favourite category.',
  },
  {
    churn: ['medium'],
    action: 'personalised_offer',
    message: 'Cooling off: an offer built from what they browse (their recommendations, their category).',
  },
  {
    tags: ['never bought'],
    action: 'care_message',
    message: 'Has not bought yet: a helpful note — sizing, delivery, returns, a person to ask.',
  },
  { action: 'none', message: '' },
];

/**
 * The first rule that matches, as `{ action, message }`; `none` when none does. With `trusted`
 * false (the churn model is no better than a simple baseline), rules that go by churn band are
 * passed over: its bands would be guesses, and no action is proposed from a guess.
 */
export function actionFor(
  rules: readonly Rule[],
  p: ProfileRecord,
  trusted = true,
): { action: Rule['action']; message: string } {
  const band = churnBand(p);
  for (const rule of rules) {
    if (rule.churn && !trusted) continue;
    if (rule.segment && rule.segment !== p.segment_name) continue;
    if (rule.churn && (!band || !rule.churn.includes(band))) continue;
    if (rule.tags && !rule.tags.every((t) => p.tags.includes(t))) continue;
    return { action: rule.action, message: rule.message };
  }
  return { action: 'none', message: '' };
}
