#!/usr/bin/env node
// The df-parse CLI: its bundle when fresh, else its sources (see @pipekit/wire/launch).
import { launch } from '@pipekit/wire/launch';

await launch(import.meta.url, 'df-parse');
