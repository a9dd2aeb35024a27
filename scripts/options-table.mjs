// The README's configuration table, made from the one option schema
// (src/options/option-schema.ts): each option's doc comment is its "effect", its
// default is read from the schema itself. `--write` puts the table in the README
// (between the options:start/end markers); `--check` (run by `npm run lint`) fails
// when the README's table and the schema disagree.
import { build } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as prettier from 'prettier';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const SCHEMA = join(root, 'src/options/option-schema.ts');
const README = join(root, 'README.md');
const START =
  '<!-- options:start: made by `npm run docs:options` from src/options/option-schema.ts -->';
const END = '<!-- options:end -->';

/** The schema's runtime values (defaults, kinds), bundled once into a temporary module. */
async function loadSchema() {
  const dir = mkdtempSync(join(tmpdir(), 'options-table-'));
  try {
    const outfile = join(dir, 'schema.mjs');
    await build({
      entryPoints: [SCHEMA],
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      outfile,
      logLevel: 'error',
      tsconfig: join(root, 'tsconfig.json'),
    });
    return (await import(pathToFileURL(outfile).href)).OPTIONS;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Each option's doc comment, by its dotted name, read from the source. */
function docComments() {
  const source = ts.createSourceFile(
    SCHEMA,
    readFileSync(SCHEMA, 'utf8'),
    ts.ScriptTarget.Latest,
    true,
  );
  const docs = new Map();
  const walk = (object, prefix) => {
    for (const property of object.properties) {
      if (!ts.isPropertyAssignment(property)) continue;
      const name = prefix + property.name.getText(source);
      const jsDoc = ts
        .getJSDocCommentsAndTags(property)
        .find((node) => ts.isJSDoc(node));
      const text = ts.getTextOfJSDocComment(jsDoc?.comment) ?? '';
      docs.set(name, text.replace(/\s+/g, ' ').trim());
      const value = property.initializer;
      if (
        ts.isCallExpression(value) &&
        ['group', 'groupOrFalse'].includes(value.expression.getText(source)) &&
        ts.isObjectLiteralExpression(value.arguments[0])
      )
        walk(value.arguments[0], `${name}.`);
    }
  };
  ts.forEachChild(source, function visit(node) {
    if (
      ts.isVariableDeclaration(node) &&
      node.name.getText(source) === 'OPTIONS' &&
      node.initializer &&
      ts.isObjectLiteralExpression(node.initializer)
    )
      walk(node.initializer, '');
    ts.forEachChild(node, visit);
  });
  return docs;
}

const number = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');

function shown(option) {
  if (option.shows) return option.shows;
  if (option.kind === 'group') return '';
  const value = option.fallback({ env: {}, resolved: {} });
  if (option.kind === 'ms') return `${number(value)} ms`;
  if (option.kind === 'bytes') return `${number(value)} bytes`;
  if (option.kind === 'count') return number(value);
  if (typeof value === 'string') return `\`'${value}'\``;
  if (Array.isArray(value)) return `\`[${value.join(', ')}]\``;
  return `\`${String(value)}\``;
}

function rows(schema, docs, prefix = '') {
  const out = [];
  for (const [key, option] of Object.entries(schema)) {
    const name = prefix + key;
    const doc = docs.get(name);
    if (!doc)
      throw new Error(`option "${name}" has no doc comment in the schema`);
    out.push(
      `| \`${name}\` | ${shown(option)} | ${doc.replace(/\|/g, '\\|')} |`,
    );
    if (option.fields) out.push(...rows(option.fields, docs, `${name}.`));
  }
  return out;
}

async function table() {
  const lines = [
    '| option | default | effect |',
    '| --- | --- | --- |',
    ...rows(await loadSchema(), docComments()),
  ];
  return lines.join('\n');
}

const mode = process.argv[2];
if (mode !== '--write' && mode !== '--check') {
  console.error('usage: node scripts/options-table.mjs --write | --check');
  process.exit(2);
}
const readme = readFileSync(README, 'utf8');
const from = readme.indexOf(START);
const to = readme.indexOf(END);
if (from === -1 || to < from) {
  console.error(`README.md has no ${START} … ${END} block`);
  process.exit(1);
}
const made = await prettier.format(
  readme.slice(0, from + START.length) +
    '\n\n' +
    (await table()) +
    '\n\n' +
    readme.slice(to),
  { ...(await prettier.resolveConfig(README)), parser: 'markdown' },
);
if (mode === '--write') {
  writeFileSync(README, made);
  console.log('README.md: configuration table written from the option schema');
} else if (made !== readme) {
  console.error(
    "README.md's configuration table does not match src/options/option-schema.ts: run `npm run docs:options`",
  );
  process.exit(1);
} else {
  console.log('README.md: configuration table matches the option schema');
}
