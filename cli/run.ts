/** Entry point of the `pakka` command (bin/pakka.js loads it through tsx). */
import { main } from './main.js';

process.exitCode = await main(process.argv);
