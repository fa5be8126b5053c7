// The action's main step (action.yml `runs.main`): everything is in main.ts.
import { main } from './main.js';

await main();
