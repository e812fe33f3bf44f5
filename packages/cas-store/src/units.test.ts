import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UsageError } from '@pipekit/wire';
import { humanDuration, humanSize, parseDuration, parseSize } from './units.ts';

test('sizes: bytes, binary units, percentages of the disk', () => {
  assert.is(parseSize('512', 'x'), 512);
  assert.is(parseSize('512B', 'x'), 512);
  assert.is(parseSize('1kb', 'x'), 1024);
  assert.is(parseSize('512MB', 'x'), 512 * 1024 ** 2);
  assert.is(parseSize('1.5GiB', 'x'), 1.5 * 1024 ** 3);
  assert.is(parseSize('10%', 'x', 1000), 100);
  assert.throws(() => parseSize('10%', '--reserved-space'), (e: Error) => e instanceof UsageError && /disk size/.test(e.message));
  assert.throws(() => parseSize('lots', '--max-used-space'), (e: Error) => /--max-used-space: "lots" is not a size/.test(e.message));
});

test('durations: Go syntax and plain seconds', () => {
  assert.is(parseDuration('24h', 'x'), 24 * 3600_000);
  assert.is(parseDuration('1h30m', 'x'), 90 * 60_000);
  assert.is(parseDuration('500ms', 'x'), 500);
  assert.is(parseDuration('3600', 'x'), 3600_000);
  assert.throws(() => parseDuration('1 day', 'until'), /until: "1 day" is not a duration/);
  assert.throws(() => parseDuration('24hours', 'until'), /not a duration/);
});

test('human sizes and durations as docker prints them', () => {
  assert.is(humanSize(0), '0B');
  assert.is(humanSize(4096), '4.096kB');
  assert.is(humanSize(139_200_000), '139.2MB');
  assert.is(humanDuration(500), 'Less than a second');
  assert.is(humanDuration(45_000), '45 seconds');
  assert.is(humanDuration(3600_000), 'About an hour');
  assert.is(humanDuration(3 * 24 * 3600_000), '3 days');
});

test.run();
