// The action's post step (action.yml `runs.post`, `post-if: always()`): see post-step.ts.
import { post } from './post-step.js';

await post();
