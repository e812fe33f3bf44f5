#!/usr/bin/env node
// The cas-store CLI: its bundle when fresh, else its sources (see @pipekit/wire/launch).
'use strict';
require('@pipekit/wire/launch').launch(__filename, 'cas-store');
