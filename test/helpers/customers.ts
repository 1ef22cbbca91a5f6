/**
 * @module test/helpers/customers — a CRM export with a churn signal: more support tickets, a short
 * tenure and the basic plan raise the odds; blanks where real exports have them.
 */
import { random } from '@aisle/shared-models/util/random';

export function customerTable({ rows = 1500, seed = 3 } = {}): string {
  const rnd = random(seed);
  const plans = ['basic', 'plus', 'pro'];
  const lines = ['customer_id,tenure_months,monthly_spend,support_tickets,plan,region,churned'];
  for (let i = 0; i < rows; i++) {
    const tenure = Math.floor(rnd() * 60) + 1;
    const tickets = Math.floor(-Math.log(1 - rnd()) * 1.5);
    const plan = plans[Math.floor(rnd() * 3)];
    const spend = 20 + rnd() * 80;
    const region = 1 + Math.floor(rnd() * 5);
    const logit = -1.2 + 0.9 * tickets - 0.06 * tenure + (plan === 'basic' ? 1 : 0) + (rnd() - 0.5);
    const churned = rnd() < 1 / (1 + Math.exp(-logit)) ? 'yes' : 'no';
    // One spend in ten missing, as exports have them.
    lines.push(`cust-${i},${tenure},${rnd() < 0.1 ? '' : spend.toFixed(2)},${tickets},${plan},${region},${churned}`);
  }
  return `${lines.join('\n')}\n`;
}
