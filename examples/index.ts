/** Every example scenario, in the order `pakka demo` runs them. */
import { cinemaSeats } from './cinemaSeats.js';
import type { Scenario } from './scenario.js';
import { shopOrder } from './shopOrder.js';
import { upiTransfer } from './upiTransfer.js';
import { weddingBooking } from './weddingBooking.js';

export const SCENARIOS: ReadonlyArray<Scenario> = [upiTransfer, weddingBooking, shopOrder, cinemaSeats] as ReadonlyArray<Scenario>;
