// Runs a wasm32-wasi command module on node's WASI (V8), as
//   node bench/node-wasi.mjs MODULE.wasm [ARGS...]
// The guest sees argv = [MODULE.wasm, ARGS...] and the caller's environment;
// the process exits with the guest's exit code.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';

const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error('usage: node-wasi.mjs MODULE.wasm [ARGS...]');
  process.exit(2);
}
const wasi = new WASI({ version: 'preview1', args: [file, ...args], env: process.env });
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
