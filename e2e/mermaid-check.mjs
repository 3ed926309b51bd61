// Validates Mermaid files with the real Mermaid (npm `mermaid`): every file given on the command
// line must parse as a sequenceDiagram (in Node) and render to an SVG with all its messages (in
// headless Chromium, as a docs site would: rendering is where `$$…$$` becomes KaTeX and a bad
// formula fails the whole diagram, which parsing alone never sees). One browser page renders
// every file. Prints one line per file and a summary line; exit 1 on failure.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import mermaid from 'mermaid';
import { launchChromium } from './lib.mjs';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node e2e/mermaid-check.mjs FILE.mmd…');
  process.exit(2);
}
const bundle = createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js');
const browser = await launchChromium();
let failed = 0;
try {
  const page = await browser.newPage();
  await page.setContent('<!doctype html><body></body>');
  await page.addScriptTag({ path: bundle });
  await page.evaluate(() => window.mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' }));
  for (const [i, file] of files.entries()) {
    const text = await readFile(file, 'utf8');
    const messages = text.split('\n').filter((l) => /^\s*P\d+\S*P\d+: /.test(l)).length;
    try {
      const result = await mermaid.parse(text);
      if (result?.diagramType !== 'sequence') throw new Error(`parsed as ${result?.diagramType}, not sequence`);
      const drawn = await page.evaluate(
        async ([id, text]) => {
          const { svg } = await window.mermaid.render(id, text);
          const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
          return {
            error: doc.querySelector('.error-text, parsererror')?.textContent ?? null,
            math: doc.querySelectorAll('math, .katex').length,
            texts: doc.querySelectorAll('.messageText').length,
          };
        },
        [`d${i}`, text],
      );
      if (drawn.error) throw new Error(`rendered an error: ${drawn.error}`);
      if (drawn.math > 0) throw new Error(`${drawn.math} label(s) rendered as math`);
      if (drawn.texts !== messages) throw new Error(`${drawn.texts} message labels drawn of ${messages}`);
      console.log(`ok   ${file} (${messages} messages, rendered)`);
    } catch (err) {
      failed += 1;
      console.log(`FAIL ${file}: ${String(err?.message ?? err).split('\n').slice(0, 3).join(' | ')}`);
    }
  }
} finally {
  await browser.close();
}
console.log(`e2e mermaid: ${files.length - failed} passed; ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
