// A thread that holds iterators of a shared map and then idles (tests/live-holders.test.ts): it
// starts `count` iterations and reads a few entries of each, posts 'start', and never finishes them.
import { HashMap } from '../../dist/index.js';
import { workerData, post } from './common.mjs';

const { handle, count } = workerData;
const m = HashMap.attach(handle);
const held = [];
for (let i = 0; i < count; i++) {
  const it = m.keys();
  for (let j = 0; j < 3; j++) it.next();
  held.push(it);
}
post({ type: 'start' });
setInterval(() => held.length === -1 && post({ type: 'never' }), 60_000);
