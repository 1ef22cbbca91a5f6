/**
 * @module test/bench/recommender-retail — next item bought, on the UCI Online Retail year: each
 * customer's purchases in time order, the first line of their last order to predict after every
 * order before it (`leaveLastOrderOut`: another line of the same order is no prediction), full
 * ranking over every product, seen items allowed where validation says so — a shop of repeat
 * buyers, what the recommender's repeat boost was built for — against popularity, item-kNN,
 * Markov and buy-again judged the same way; three seeds.
 */
import { leaveLastOrderOut } from '../../training/src/data/sequences';
import { onlineRetailMissing, onlineRetailPurchases } from './datasets';
import { benchRecommenderOn } from './recommender';

/** At 140 s an epoch on two cores (3,665 products, full softmax), three epochs fit the trainer's default time budget. */
const EPOCHS = 3;

export async function benchRecommenderRetail() {
  const absent = onlineRetailMissing();
  if (absent) {
    console.warn(`\nrecommender on Online Retail: skipped, ${absent}`);
    return;
  }
  const purchases = onlineRetailPurchases();
  const split = leaveLastOrderOut(purchases);
  await benchRecommenderOn(
    'recommender-retail',
    `Next item bought on the UCI Online Retail year: ${split.test.length} customers with three orders or more, the first line of the last order after every order before it, full ranking over ${split.vocabulary.size - 1} products, seen items allowed where validation chose it`,
    split,
    EPOCHS,
  );
}
