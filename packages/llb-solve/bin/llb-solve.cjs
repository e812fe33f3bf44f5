#!/usr/bin/env node
// The llb-solve CLI: its bundle when fresh, else its sources (see @pipekit/wire/launch).
'use strict';
// by path first: resolving a package's exports map costs ~2.5 ms of start-up
let launcher;
try {
  launcher = require('../../wire/launch.cjs');
} catch (err) {
  if (err?.code !== 'MODULE_NOT_FOUND') throw err;
  launcher = require('@pipekit/wire/launch');
}
launcher.launch(__filename, 'llb-solve');
