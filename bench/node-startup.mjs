// Start-up time of V8 for the same modules as bench/startup.c:
//   node bench/node-startup.mjs [-t SECONDS] MODULE.wasm...
// Times synchronous `new WebAssembly.Module` + `new WebAssembly.Instance`
// (with a fresh node:wasi context when the module imports anything, as
// bench/startup.c does) and prints the median in the same line format:
//   startup: FILE bytes=N runs=N module_ms=X instance_ms=X total_ms=X
// V8 reuses compiled code for identical bytes, so every run gets a
// distinct custom section appended, which makes its bytes new. V8 also
// compiles function bodies lazily by default; that is what a user gets.
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

let args = process.argv.slice(2);
let budgetMs = 1000;
if (args[0] === '-t') {
  budgetMs = Number(args[1]) * 1000;
  args = args.slice(2);
}

// A custom section named "bench" holding an 8-byte counter.
function withCounter(bytes, n) {
  const payload = Buffer.alloc(1 + 5 + 8);
  payload[0] = 5;
  payload.write('bench', 1, 'latin1');
  payload.writeBigUInt64LE(BigInt(n), 6);
  return Buffer.concat([bytes, Buffer.from([0, payload.length]), payload]);
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];

for (const file of args) {
  const bytes = readFileSync(file);
  const mod = [], inst = [], total = [];
  const start = performance.now();
  for (let i = 0; i < 2000 && (i < 5 || performance.now() - start < budgetMs); i++) {
    const b = withCounter(bytes, i);
    const t0 = performance.now();
    const m = new WebAssembly.Module(b);
    const t1 = performance.now();
    const imports = WebAssembly.Module.imports(m).length
      ? new WASI({ version: 'preview1', args: [file] }).getImportObject() : {};
    new WebAssembly.Instance(m, imports);
    const t2 = performance.now();
    mod.push(t1 - t0);
    inst.push(t2 - t1);
    total.push(t2 - t0);
  }
  const f = (x) => median(x).toFixed(4);
  console.log(`startup: ${file} bytes=${bytes.length} runs=${total.length} ` +
              `module_ms=${f(mod)} instance_ms=${f(inst)} total_ms=${f(total)}`);
}
