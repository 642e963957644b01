/**
 * A wedding: five vendors hold the same date for one couple, or none does. A second couple's
 * booking of a date that one vendor already holds aborts, and the other four are released.
 */
import { type Scenario, ScenarioRun } from './scenario.js';

export const VENDORS = ['wedding-venue', 'wedding-caterer', 'wedding-florist', 'wedding-photographer', 'wedding-band'] as const;
/** The vendor that is already booked on the second date. */
export const BUSY_VENDOR = 'wedding-photographer';

export interface WeddingKeys {
  firstDate: string;
  secondDate: string;
  couple: string;
  secondCouple: string;
  otherClient: string;
}

const bookAll = (date: string, holder: string) => ({
  participants: VENDORS.map((name) => ({ name, operations: [{ op: 'hold', key: date, holder }] })),
});

export const weddingBooking: Scenario<WeddingKeys> = {
  name: 'wedding',
  title: 'Wedding booking: five vendors hold the same date, or none does',
  async run(context) {
    const run = new ScenarioRun(context);
    const keys: WeddingKeys = {
      firstDate: `2027-02-14/${context.runId}`,
      secondDate: `2027-03-20/${context.runId}`,
      couple: `priya-and-arjun-${context.runId}`,
      secondCouple: `meera-and-kabir-${context.runId}`,
      otherClient: `a-birthday-${context.runId}`,
    };
    await run.transaction('book all five vendors', 'COMMITTED', bookAll(keys.firstDate, keys.couple));
    await run.transaction(`${BUSY_VENDOR} takes another client on the second date`, 'COMMITTED', {
      participants: [{ name: BUSY_VENDOR, operations: [{ op: 'hold', key: keys.secondDate, holder: keys.otherClient }] }],
    });
    await run.transaction('book all five on the second date', 'ABORTED', bookAll(keys.secondDate, keys.secondCouple));

    for (const vendor of VENDORS) await run.expectField(vendor, keys.firstDate, 'heldBy', keys.couple);
    await run.expectField(BUSY_VENDOR, keys.secondDate, 'heldBy', keys.otherClient);
    for (const vendor of VENDORS.filter((v) => v !== BUSY_VENDOR)) {
      await run.expectField(vendor, keys.secondDate, 'heldBy', null);
      await run.expectUnlocked(vendor, keys.secondDate);
    }
    return run.result(keys);
  },
};
