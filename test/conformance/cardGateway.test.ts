/** The example barrier participant over a fake HTTP card gateway passes the conformance kit. */
import { participantConformance } from '../../testing/conformance.js';
import { cardGatewayFixture } from '../support/cardGatewayFixture.js';

participantConformance(cardGatewayFixture());
