/** `npm run model:full`: the longer verifications, with their state counts. */
import { FULL, verify } from './modelSpin.js';

let failed = false;
for (const v of FULL) {
  const r = await verify(v, 2);
  console.log(`${v.name}: errors ${r.errors}, ${r.statesStored} states, ${r.transitions} transitions, depth ${r.depth}, ${r.seconds.toFixed(1)} s`);
  if (r.errors > 0 || !r.complete) failed = true;
}
process.exit(failed ? 1 : 0);
