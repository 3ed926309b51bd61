// Validates Mermaid files with the real Mermaid parser (npm `mermaid`, in Node): every file given
// on the command line must parse as a sequenceDiagram. Prints one summary line; exit 1 on failure.
import { readFile } from 'node:fs/promises';
import mermaid from 'mermaid';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node e2e/mermaid-check.mjs FILE.mmd…');
  process.exit(2);
}
let failed = 0;
for (const file of files) {
  const text = await readFile(file, 'utf8');
  try {
    const result = await mermaid.parse(text);
    if (result?.diagramType !== 'sequence') throw new Error(`parsed as ${result?.diagramType}, not sequence`);
    const messages = text.split('\n').filter((l) => l.includes('P') && l.includes(': ')).length;
    console.log(`ok   ${file} (${messages} messages)`);
  } catch (err) {
    failed += 1;
    console.log(`FAIL ${file}: ${String(err?.message ?? err).split('\n').slice(0, 3).join(' | ')}`);
  }
}
console.log(`e2e mermaid: ${files.length - failed} passed; ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
