#!/usr/bin/env node
// The CDK app: `npx cdk synth | deploy | destroy` run this file (see cdk.json).
import { App } from 'aws-cdk-lib';

import { addAdcopyStacks } from '../lib/adcopy-app.js';

const app = new App();
addAdcopyStacks(app);
app.synth();
