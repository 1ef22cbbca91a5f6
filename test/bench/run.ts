/** @module test/bench/run — `npm run bench`: every benchmark, each printing a table and writing JSON to test/bench/results/. */
import { chromiumAvailable } from '../helpers/browser';
import { benchAnomaly } from './anomaly';
import { benchChurn } from './churn';
import { benchChurnRetail } from './churn-retail';
import { benchCrash } from './crash';
import { benchDashboard } from './dashboard';
import { benchDelta } from './delta';
import { benchInference } from './inference';
import { benchIngest } from './ingest';
import { benchMainThread } from './main-thread';
import { benchModelSize } from './model-size';
import { benchPhone } from './phone';
import { benchProfile } from './profile';
import { benchProfileRetail } from './profile-retail';
import { benchQuantize } from './quantize';
import { benchRecommender } from './recommender';
import { benchRecommenderHead } from './recommender-head';
import { benchRecommenderRetail } from './recommender-retail';
import { benchRecommenderSessions } from './recommender-sessions';
import { benchSize } from './size';
import { benchValueRetail } from './value-retail';

const only = process.argv.slice(2);
const want = (name: string) => !only.length || only.includes(name);

if (want('size')) await benchSize();
if (want('main-thread')) {
  if (chromiumAvailable()) await benchMainThread();
  else console.warn('\nmain-thread: skipped, Chromium not found at /usr/bin/chromium (apt-get install -y chromium)');
}
if (want('ingest')) await benchIngest();
if (want('crash')) await benchCrash();
if (want('recommender')) await benchRecommender();
if (want('recommender-retail')) await benchRecommenderRetail();
if (want('recommender-head')) await benchRecommenderHead();
if (want('recommender-sessions')) await benchRecommenderSessions();
if (want('quantize')) await benchQuantize();
if (want('delta')) await benchDelta();
if (want('model-size')) await benchModelSize();
if (want('churn')) await benchChurn();
if (want('churn-retail')) await benchChurnRetail();
if (want('value-retail')) await benchValueRetail();
if (want('anomaly')) await benchAnomaly();
if (want('profile')) await benchProfile();
if (want('profile-retail')) await benchProfileRetail();
if (want('inference')) {
  if (chromiumAvailable()) await benchInference();
  else console.warn('\ninference: skipped, Chromium not found at /usr/bin/chromium (apt-get install -y chromium)');
}
if (want('phone')) {
  if (chromiumAvailable()) await benchPhone();
  else console.warn('\nphone: skipped, Chromium not found at /usr/bin/chromium (apt-get install -y chromium)');
}
if (want('dashboard')) {
  if (chromiumAvailable()) await benchDashboard();
  else console.warn('\ndashboard: skipped, Chromium not found at /usr/bin/chromium (apt-get install -y chromium)');
}
