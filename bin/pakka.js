#!/usr/bin/env node
// The `pakka` command. The CLI is TypeScript; tsx compiles it on the fly, so there is no build step.
import { register } from 'tsx/esm/api';

register();
await import('../cli/run.ts');
