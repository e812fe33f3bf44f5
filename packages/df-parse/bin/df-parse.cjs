#!/usr/bin/env node
// The df-parse CLI: its bundle when fresh, else its sources (see @pipekit/wire/launch).
'use strict';
require('@pipekit/wire/launch').launch(__filename, 'df-parse');
