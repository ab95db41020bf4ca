'use strict';
// npm run build: writes dist/version.json, which the server reports. No clock in
// the output, so equal sources give equal files.

const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const pkg = require(path.join(root, 'package.json'));
const out = path.join(root, 'dist');
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'version.json'), JSON.stringify({ name: pkg.name, version: pkg.version }, null, 2) + '\n');
console.error(`wrote ${path.relative(root, path.join(out, 'version.json'))}`);
