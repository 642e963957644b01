/**
 * The seed of a randomized test: PAKKA_TEST_SEED when set (to replay a run), otherwise a fresh one.
 * Either way it is printed before the test runs, so a failure in any log can be replayed.
 */
export function testSeed(test: string): number {
  const given = process.env.PAKKA_TEST_SEED;
  if (given !== undefined && !/^\d+$/.test(given)) throw new Error(`PAKKA_TEST_SEED must be a non-negative integer, got "${given}"`);
  const seed = given === undefined ? Date.now() % 2 ** 31 : Number(given);
  console.log(`${test}: seed ${seed} (replay with PAKKA_TEST_SEED=${seed})`);
  return seed;
}
